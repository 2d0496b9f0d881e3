"""The transfer_http workload's cost per request kind, measured where load does not move it:
CPU milliseconds of this process and of its PostgreSQL backend, and SQL queries, for each of
the six requests of one transfer (the wizard's GET, the source, destination and data
steps, the signing POST, the dashboard), served in process by Django's test client under
``bench.settings`` (the production PIN cost) on a fresh database.

    DJANGO_SETTINGS_MODULE=progresonet.settings.test .venv/bin/python scripts/services.py -- \
        .venv/bin/python -m bench.request_cost [transfers] [--sql] [--stacks] [--profile KIND]

Not one of ``make bench``'s figures: a diagnostic for the signing step's p95, which on two
saturated cores is mostly queueing behind the CPU of every request of the wizard
(bench/README.md, transfer_http). ``--profile KIND`` prints cProfile's top functions by
cumulative time for that request kind (e.g. ``confirm``); ``--sql`` the queries of the last
request of each kind, ``--stacks`` the project frames that issued each.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
import traceback
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where a profiled request's own time goes, by the file each function lives in.
BUCKETS = (
    ("django/db", "ORM + backend"),
    ("psycopg", "psycopg"),
    ("django/template", "templates"),
    ("django/forms", "forms"),
    ("argon2", "argon2"),
    ("sessions", "sessions"),
    ("signing", "signing/crypto"),
    ("json", "json"),
    ("translation", "i18n"),
    ("copy.py", "copy"),
    ("formtools", "formtools"),
    ("site-packages/django/", "django other"),
    ("/work/", "project"),
)
KINDS = ("get", "source", "destination", "data", "confirm", "dashboard")


def main(argv: list[str]) -> int:
    profile_kind = None
    show_sql = "--sql" in argv
    show_stacks = "--stacks" in argv
    argv = [a for a in argv if a not in ("--sql", "--stacks")]
    if "--profile" in argv:
        at = argv.index("--profile")
        profile_kind = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    transfers = int(argv[0]) if argv else 40

    from tests.reliability import harness

    os.environ.setdefault("RELIABILITY_SERVER_URL", os.environ["DATABASE_URL"])
    db_url = harness.database_recreate("bench_request_cost")
    member = harness.members_setup(
        db_url,
        [{"prefix": "cost", "members": 1, "accounts": 2, "balance": "1000000.00"}],
        settings="bench.settings",
    )["cost"][0]
    os.environ["DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    response = client.post(
        "/ingresar/", {"username": member["username"], "password": harness.PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"login: {response.status_code}")
    cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
    queries: dict[str, list[int]] = {kind: [] for kind in KINDS}
    pg: dict[str, list[float]] = {kind: [] for kind in KINDS}
    profiler = cProfile.Profile(time.process_time) if profile_kind else None
    last_sql: dict[str, list[str]] = {}
    wizard = harness.WIZARD

    def step(name: str, fields: dict, extra: dict | None = None) -> dict:
        data = {"transfer_own-current_step": name}
        data.update({f"{name}-{k}": v for k, v in fields.items()})
        data.update(extra or {})
        return data

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        # utime + stime of this connection's PostgreSQL backend, in seconds (clock ticks:
        # 10 ms each, so only the median over many requests means anything).
        with open(f"/proc/{backend}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    stacks: dict[str, list[str]] = {kind: [] for kind in KINDS}
    current = [""]

    def caller(execute, sql, params, many, context):
        # The project's frames that issued the query (--stacks): where to look to save it.
        if show_stacks:
            frames = [
                f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
                for f in traceback.extract_stack()[:-1]
                if f.filename.startswith(str(ROOT))
                and "/.venv/" not in f.filename
                and "bench/" not in f.filename
            ]
            stacks[current[0]].append(f"{sql[:90]}\n      " + " < ".join(reversed(frames[-4:])))
        return execute(sql, params, many, context)

    def timed(kind: str, call, *args, **kwargs):
        current[0] = kind
        stacks[kind] = []
        if profiler is not None and kind == profile_kind:
            profiler.enable()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(caller):
            started, pg_started = time.process_time(), backend_cpu()
            response = call(*args, **kwargs)
            spent = time.process_time() - started
            pg[kind].append((backend_cpu() - pg_started) * 1000)
        if profiler is not None and kind == profile_kind:
            profiler.disable()
        cpu[kind].append(spent * 1000)
        queries[kind].append(len(captured))
        last_sql[kind] = [q["sql"] for q in captured.captured_queries]
        return response

    source, destination = member["accounts"]
    warmup = 5
    for n in range(transfers + warmup):
        if n == warmup:
            for kind in KINDS:
                cpu[kind].clear()
                pg[kind].clear()
                queries[kind].clear()
            if profiler is not None:
                profiler = cProfile.Profile(time.process_time)
        if n % 2:
            source, destination = destination, source
        timed("get", client.get, wizard)
        timed(
            "source",
            client.post,
            wizard,
            step("source", {"transfer_type": "own", "source_account": source}),
        )
        timed(
            "destination",
            client.post,
            wizard,
            step("destination", {"destination_account": destination}),
        )
        response = timed(
            "data",
            client.post,
            wizard,
            step(
                "data",
                {
                    "currency": "BOB",
                    "amount": f"{Decimal('1.00'):.2f}".replace(".", ","),
                    "description": "Prueba de carga",
                    "notify_email": "",
                    "funds_origin": "Ahorro propio",
                    "funds_destination": "Ahorro en otra cuenta",
                },
            ),
        )
        key = harness._KEY.search(response.content.decode())
        if not key or "Paso 4 de 4" not in response.content.decode():
            raise SystemExit("request_cost: the data step did not show step 4")
        response = timed(
            "confirm",
            client.post,
            wizard,
            step("confirm", {"pin": harness.PIN}, {"idempotency_key": key.group(1)}),
        )
        if response.status_code != 302:
            raise SystemExit(f"request_cost: signing answered {response.status_code}")
        response = timed("dashboard", client.get, harness.DASHBOARD)
        if response.status_code != 200:
            raise SystemExit(f"request_cost: dashboard answered {response.status_code}")

    print(f"request_cost: {transfers} transfers, bench.settings, one member, in process")
    print(
        f"{'request':<12} {'cpu p50 ms':>10} {'cpu min ms':>10} {'pg mean ms':>10} {'queries':>8}"
    )
    rows = {
        kind: (
            statistics.median(cpu[kind]),
            min(cpu[kind]),
            statistics.mean(pg[kind]),
            statistics.median(queries[kind]),
        )
        for kind in KINDS
    }
    rows["per transfer"] = tuple(sum(row[i] for row in rows.values()) for i in range(4))
    for kind, (median, least, backend_ms, count) in rows.items():
        print(f"{kind:<12} {median:>10.1f} {least:>10.1f} {backend_ms:>10.1f} {count:>8.0f}")
    if show_stacks:
        for kind in KINDS:
            print(f"-- {kind}")
            for line in stacks[kind]:
                print(f"   {line}")
    if show_sql:
        for kind in KINDS:
            print(f"-- {kind}")
            for sql in last_sql[kind]:
                print(f"   {sql[:220]}")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        buckets: dict[str, float] = {}
        for (path, _line, _name), row in stats.stats.items():
            bucket = next((b for needle, b in BUCKETS if needle in path), "other")
            buckets[bucket] = buckets.get(bucket, 0.0) + row[2]
        total = sum(buckets.values())
        for bucket, seconds in sorted(buckets.items(), key=lambda item: -item[1]):
            print(f"  {bucket:<22} {seconds / total:>6.1%}")
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
