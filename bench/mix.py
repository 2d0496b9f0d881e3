"""``mix``: 50 members browsing and transferring at once against gunicorn + PostgreSQL + Redis +
a Celery worker, per page kind and overall, with the same run's trivial authenticated view as
the reference; plus the RSS of each gunicorn worker after 1,000 and 10,000 requests.

Processes (all real, on the throwaway servers of ``scripts/services.py``):

- PostgreSQL: its own database ``bench_mix``, set up by ``bench.mix_data`` in a subprocess.
- gunicorn: ``bench.settings`` (the settings transfer_http uses: production PIN hashing
  cost, tasks published to Redis instead of eager), 2 gthread workers x 4 threads,
  CONN_MAX_AGE 60, no max-requests (so a worker lives the whole run and its RSS growth is
  measurable). An access log with the worker's pid per request gives the requests each
  worker served.
- Redis: the broker and the cache (REDIS_URL / CELERY_BROKER_URL).
- A Celery worker (``tests.worker_settings``, pool solo) consuming the outbox: every posted
  transfer enqueues its receipt email, which the worker relays by SMTP to an aiosmtpd sink in
  this process (the sink counts and discards). After the load, the run waits until every
  receipt arrived and reports how many did.

The users are threads of this process, each with its own ``http.client`` session
(``tests.reliability.harness.Member``, one connection per request, the same client as
transfer_http and the reliability suite). Each logs in as its own member and repeats: pick an
action by weight (``ACTIONS``), perform its requests, think ``THINK_SECONDS`` (uniform) after
every request, until it has made its share (``requests`` / ``users``) of the requests.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import common

USERS = 50
REQUESTS = 10_500  # past 10,000 so the 10,000-request RSS sample is always taken
WORKERS = 2
THREADS = 4
# A real member reads a page for several seconds; shorter here so 10,000 requests fit in a
# few minutes. Mean 1.0 s with 50 users offers ~45 requests/s to 2 workers on 2 cores.
THINK_SECONDS = (0.5, 1.5)
MOVEMENTS = 300  # statement history of each member's first account: 6 pages of 50
TARGET_P95_MS = 100
RSS_MARKS = (1_000, 10_000)
SEED = 2026

# (action, weight). Weights follow what a member does in a session: mostly reading the
# balances and statements, sometimes a transfer. A transfer action is 6 requests (the form,
# three steps, the PIN signature, the receipt), so ~30 % of requests are wizard requests.
ACTIONS = (
    ("dashboard", 30),
    ("statement", 20),  # the first page, then 1 to 3 older pages half of the time
    ("transfers_list", 8),
    ("own_transfer", 5),
    ("third_party_transfer", 3),
    ("beneficiaries_list", 8),
    ("loans_list", 6),
    ("loan_plan", 6),
    ("reference", 10),
)

DASHBOARD = "/cuentas/"
REFERENCE = "/sesion/mantener/"  # the idle warning's keep-alive: session and user, JSON
TRANSFERS = "/transferencias/"
OWN_WIZARD = "/transferencias/entre-mis-cuentas/"
THIRD_WIZARD = "/transferencias/a-cuenta-de-terceros/"
BENEFICIARIES = "/administracion/productos-de-terceros/"
LOANS = "/prestamos/"

# Read pages: GETs that render a page; each is judged against TARGET_P95_MS.
READ_KINDS = (
    "dashboard",
    "statement_first",
    "statement_later",
    "transfers_list",
    "beneficiaries_list",
    "loans_list",
    "loan_plan",
    "transfer_form",
    "transfer_receipt",
)
_OLDER = re.compile(r"before=(\d+)")
_KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


@dataclass
class Recorder:
    """Every request's (kind, seconds, ok), and RSS samples taken as the count passes marks."""

    marks: tuple[int, ...] = RSS_MARKS
    master_pid: int = 0
    access_log: Path | None = None
    samples: list[tuple[str, float, bool]] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    rss: dict[int, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.samples.append((kind, seconds, ok))
            if not ok:
                self.errors[f"{kind}: {detail}"] += 1
            count = len(self.samples)
        if count in self.marks:
            self.rss[count] = {
                "workers": workers_rss(self.master_pid),
                "requests_by_worker": access_log_counts(self.access_log),
            }


def worker_pids(master_pid: int) -> list[int]:
    """gunicorn's workers: the processes whose parent is the master."""
    return children(master_pid)


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat fields after the command name (field 3, state, is index 0)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat(int(entry.name))[1]) == pid:
                    pids.append(int(entry.name))
    return sorted(pids)


def comm(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return ""


def cpu_seconds(pid: int, *, tree: bool = False) -> float:
    """User + system CPU of ``pid``, with its reaped children's (cutime, cstime); ``tree`` adds
    its live children's too (PostgreSQL's backends, gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    with contextlib.suppress(OSError):
        fields = _stat(pid)
        total = sum(int(x) for x in fields[11:15]) / ticks
    if tree:
        for child in children(pid):
            with contextlib.suppress(OSError):
                total += sum(int(x) for x in _stat(child)[11:13]) / ticks
    return total


def machine_cpu() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of all CPUs since boot, from /proc/stat's first line:
    user nice system idle iowait irq softirq steal (guest time is already in user)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, values[7], sum(values)


class CpuMeter:
    """CPU used by each process group of the run between ``start()`` and ``stop()``."""

    def __init__(self, groups: dict[str, tuple[int, bool]]) -> None:
        self.groups = groups  # name -> (pid, tree)
        self.before: dict[str, float] = {}
        self.machine_before = (0, 0, 0)

    def _sample(self) -> dict[str, float]:
        sample = {name: cpu_seconds(pid, tree=tree) for name, (pid, tree) in self.groups.items()}
        times = os.times()
        sample["load generator (this process: client threads, SMTP sink)"] = (
            times.user + times.system
        )
        return sample

    def start(self) -> None:
        self.before = self._sample()
        self.machine_before = machine_cpu()

    def stop(self, seconds: float, requests: int) -> dict:
        after = self._sample()
        busy0, steal0, total0 = self.machine_before
        busy1, steal1, total1 = machine_cpu()
        elapsed = (total1 - total0) or 1
        used = {name: round(after[name] - self.before[name], 1) for name in after}
        return {
            "cpu_seconds_by_process_group": used,
            "cpu_ms_per_request_by_process_group": {
                name: round(1000 * value / requests, 1) for name, value in used.items()
            },
            # Everything the cores did, ours and other sessions'; steal is time the
            # hypervisor gave our virtual CPUs to someone else.
            "machine_cpu_busy_percent": round(100 * (busy1 - busy0) / elapsed, 1),
            "machine_cpu_steal_percent": round(100 * (steal1 - steal0) / elapsed, 1),
            "cores": os.cpu_count(),
            "our_processes_share_of_machine_percent": round(
                100 * sum(used.values()) / (seconds * (os.cpu_count() or 1)), 1
            ),
        }


def services_pids() -> dict[str, int]:
    """PostgreSQL's postmaster and redis-server started by scripts/services.py (our parent)."""
    found = {}
    for pid in children(os.getppid()):
        name = comm(pid)
        if name in ("postgres", "redis-server"):
            found[name] = pid
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def workers_rss(master_pid: int) -> dict[str, float]:
    """RSS in MiB of each worker, keyed by pid."""
    return {str(pid): round(rss_kib(pid) / 1024, 1) for pid in worker_pids(master_pid)}


def access_log_counts(path: Path | None) -> dict[str, int]:
    """Requests each worker served so far (the access log's first field is its pid)."""
    if path is None or not path.exists():
        return {}
    lines = path.read_text().splitlines()
    counts = Counter(line.split(" ", 1)[0].strip("<>") for line in lines if line)
    return dict(counts)


class User:
    """One member's browser: logs in, then performs weighted actions with think time."""

    def __init__(
        self, server, member: dict, recorder: Recorder, rng: random.Random, think, quota: int
    ):
        from tests.reliability import harness

        self.harness = harness
        self.client = harness.Member(server, member["username"])
        self.member = member
        self.recorder = recorder
        self.rng = rng
        self.think = think
        self.quota = quota
        self.made = 0

    # -- requests --------------------------------------------------------------------------

    def _record(self, kind: str, response, expected: tuple[int, ...], check=None) -> bool:
        ok = response.status in expected and (check is None or check(response))
        self.made += 1
        self.recorder.add(kind, response.seconds, ok, str(response.status))
        if self.think[1]:
            time.sleep(self.rng.uniform(*self.think))
        return ok

    def get(self, kind: str, path: str, expected=(200,)):
        try:
            response = self.client.get(path)
        except self.harness.TransportError as exc:
            return self._transport_error(kind, exc)
        return response if self._record(kind, response, expected) else None

    def post(self, kind: str, path: str, data: dict, expected=(200,), check=None):
        try:
            response = self.client.post(path, data)
        except self.harness.TransportError as exc:
            return self._transport_error(kind, exc)
        return response if self._record(kind, response, expected, check) else None

    def _transport_error(self, kind: str, exc: Exception) -> None:
        self.made += 1
        self.recorder.add(kind, 0.0, False, f"transport {exc}")
        time.sleep(self.think[1])

    # -- actions ---------------------------------------------------------------------------

    def login(self) -> bool:
        if self.get("login_form", "/ingresar/") is None:
            return False
        data = {"username": self.member["username"], "password": self.harness.PASSWORD}
        return self.post("login", "/ingresar/", data, expected=(302,)) is not None

    def dashboard(self) -> None:
        self.get("dashboard", DASHBOARD)

    def reference(self) -> None:
        self.get("reference", REFERENCE)

    def statement(self) -> None:
        page = self.get("statement_first", f"/cuentas/{self.member['accounts'][0]}/")
        if page is None or self.rng.random() < 0.5:
            return
        for _ in range(self.rng.randint(1, 3)):
            older = _OLDER.search(page.body)
            if older is None:
                return
            path = f"/cuentas/{self.member['accounts'][0]}/?before={older.group(1)}"
            page = self.get("statement_later", path)
            if page is None:
                return

    def transfers_list(self) -> None:
        self.get("transfers_list", TRANSFERS)

    def beneficiaries_list(self) -> None:
        self.get("beneficiaries_list", BENEFICIARIES)

    def loans_list(self) -> None:
        self.get("loans_list", LOANS)

    def loan_plan(self) -> None:
        self.get("loan_plan", f"{LOANS}{self.member['loan']}/")

    def own_transfer(self) -> None:
        source, destination = self.rng.sample(self.member["accounts"], 2)
        self._wizard(OWN_WIZARD, "own", source, {"destination_account": destination})

    def third_party_transfer(self) -> None:
        self._wizard(
            THIRD_WIZARD,
            "third_party",
            self.member["accounts"][0],
            {"product": self.member["product"]},
        )

    def _wizard(self, path: str, transfer_type: str, source: int, destination: dict) -> None:
        """The four steps and the receipt; a refused transfer (any step not moving on) is an
        error: the balances and limits are set so that none should be refused."""
        prefix = f"transfer_{transfer_type}"

        def step(name: str, fields: dict, extra: dict | None = None, **kw):
            data = {f"{prefix}-current_step": name, **{f"{name}-{k}": v for k, v in fields.items()}}
            return self.post(f"wizard_{name}", path, {**data, **(extra or {})}, **kw)

        if self.get("transfer_form", path) is None:
            return
        if step("source", {"transfer_type": transfer_type, "source_account": source}) is None:
            return
        if step("destination", destination) is None:
            return
        amount = Decimal(self.rng.randint(100, 5000)) / 100
        summary = step(
            "data",
            {
                "currency": "BOB",
                "amount": f"{amount:.2f}".replace(".", ","),
                "description": "Prueba de carga",
                "notify_email": "",
                "funds_origin": "Ahorro propio",
                "funds_destination": "Pago a un socio",
            },
            check=lambda r: _KEY.search(r.body) is not None,
        )
        if summary is None:
            return
        key = _KEY.search(summary.body).group(1)
        signed = step(
            "confirm",
            {"pin": self.harness.PIN},
            {"idempotency_key": key},
            expected=(302,),
            check=lambda r: self.harness.receipt_id(r) is not None,
        )
        if signed is not None:
            self.get("transfer_receipt", signed.location)

    def run(self) -> None:
        if not self.login():
            return
        names = [name for name, _ in ACTIONS]
        weights = [weight for _, weight in ACTIONS]
        # Each user makes its own share of the requests: what it does then depends only on its
        # seed, never on how fast the others went, so two runs request the same pages.
        while self.made < self.quota:
            getattr(self, self.rng.choices(names, weights)[0])()


def path_kind(method: str, path: str, query: str) -> str:
    """The page kind of an access-log line, as the client names it."""
    if path == REFERENCE:
        return "reference"
    if path.startswith("/cuentas/"):
        if path == DASHBOARD:
            return "dashboard"
        return "statement_later" if "before=" in query else "statement_first"
    if path.startswith("/transferencias/comprobante/"):
        return "transfer_receipt"
    if path in (OWN_WIZARD, THIRD_WIZARD):
        return "transfer_form" if method == "GET" else "wizard_post"
    if path == TRANSFERS:
        return "transfers_list"
    if path == BENEFICIARIES:
        return "beneficiaries_list"
    if path == LOANS:
        return "loans_list"
    if path.startswith(LOANS):
        return "loan_plan"
    return "login" if path.startswith("/ingresar/") else "other"


def server_side(path: Path) -> dict:
    """p50/p95 per page kind of the time gunicorn measured for each request (from reading the
    request to sending the response): the client's figure minus connecting and queueing."""
    from tests.reliability.harness import ms, percentile

    by_kind: dict[str, list[float]] = defaultdict(list)
    for line in path.read_text().splitlines():
        fields = line.split(" ", 5)
        if len(fields) < 5:
            continue
        _, _, millis, method, url = fields[:5]
        query = fields[5] if len(fields) > 5 else ""
        by_kind[path_kind(method, url, query)].append(int(millis) / 1000)
    return {
        kind: {"p50": ms(percentile(v, 50)), "p95": ms(percentile(v, 95))}
        for kind, v in sorted(by_kind.items())
    }


def _summary(samples: list[float], errors: int, seconds: float) -> dict:
    from tests.reliability.harness import ms, percentile

    total = len(samples) + errors
    return {
        "requests": total,
        "per_second": round(total / seconds, 1) if seconds else 0,
        "p50_ms": ms(percentile(samples, 50)),
        "p95_ms": ms(percentile(samples, 95)),
        "p99_ms": ms(percentile(samples, 99)),
        "errors": errors,
        "error_rate": round(errors / total, 4) if total else 0,
    }


def report(recorder: Recorder, seconds: float) -> dict:
    by_kind: dict[str, list[float]] = defaultdict(list)
    errors_by_kind: Counter = Counter()
    every: list[float] = []
    for kind, took, ok in recorder.samples:
        if ok:
            by_kind[kind].append(took)
            every.append(took)
        else:
            errors_by_kind[kind] += 1
    kinds = sorted(set(by_kind) | set(errors_by_kind))
    pages = {kind: _summary(by_kind[kind], errors_by_kind[kind], seconds) for kind in kinds}
    reference = pages.get("reference", {}).get("p95_ms") or 0
    slow = []
    for kind, figures in pages.items():
        if kind in READ_KINDS:
            figures["read_page"] = True
            figures["ratio_p95_to_reference"] = (
                round(figures["p95_ms"] / reference, 2) if reference else None
            )
            if figures["p95_ms"] >= TARGET_P95_MS:
                slow.append(kind)
    return {
        "overall": _summary(every, sum(errors_by_kind.values()), seconds),
        "pages": pages,
        "reference_view": REFERENCE,
        "read_pages_p95_at_or_over_target": slow,
        "target_read_p95_ms": TARGET_P95_MS,
        "target_met": not slow,
        "error_samples": dict(recorder.errors.most_common(10)),
    }


def memory(recorder: Recorder) -> dict:
    first, last = (recorder.rss.get(mark) for mark in recorder.marks)
    figures: dict = {f"after_{mark}_requests": recorder.rss.get(mark) for mark in recorder.marks}
    if first and last:
        figures["growth_mib_by_worker"] = {
            pid: round(last["workers"][pid] - rss, 1)
            for pid, rss in first["workers"].items()
            if pid in last["workers"]
        }
        # A worker missing at the second sample was restarted: its growth is not measurable.
        figures["workers_replaced"] = sorted(set(first["workers"]) ^ set(last["workers"]))
    return figures


def table(figures: dict) -> str:
    head = (
        f"{'page':<22}{'reqs':>7}{'req/s':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'err%':>7}{'ratio':>7}"
    )
    rows = [head, "-" * len(head)]
    items = [*figures["pages"].items(), ("overall", figures["overall"])]
    for kind, f in items:
        ratio = f.get("ratio_p95_to_reference")
        flag = " >= target" if kind in figures["read_pages_p95_at_or_over_target"] else ""
        rows.append(
            f"{kind:<22}{f['requests']:>7}{f['per_second']:>7}{f['p50_ms']:>8}{f['p95_ms']:>8}"
            f"{f['p99_ms']:>8}{f['error_rate'] * 100:>7.2f}{ratio if ratio else '':>7}{flag}"
        )
    return "\n".join(rows)


def receipts(sink) -> list:
    """The transfer receipts among the sink's messages (subject "Comprobante de …")."""
    return [m for m in sink.messages if str(m["Subject"]).startswith("Comprobante de transfer")]


def run(
    *,
    users: int = USERS,
    requests: int = REQUESTS,
    workers: int = WORKERS,
    threads: int = THREADS,
    think: tuple[float, float] = THINK_SECONDS,
    movements: int = MOVEMENTS,
    rss_marks: tuple[int, int] = RSS_MARKS,
    server_env: dict | None = None,
) -> dict:
    os.environ.setdefault("RELIABILITY_SERVER_URL", common.server_url())
    import json
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    from tests.integration_fixtures import CeleryWorker, SmtpSink
    from tests.reliability import harness

    broker = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if not broker:
        raise SystemExit("bench mix: no broker (REDIS_URL); run it with `make bench`.")
    db_url = harness.database_recreate("bench_mix")
    started_setup = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench.mix_data", str(users), str(movements),
         harness.PASSWORD, harness.PIN],
        cwd=harness.ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"bench mix: setup failed\n{result.stdout}\n{result.stderr}")
    members = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"mix: {users} members set up in {time.perf_counter() - started_setup:.0f} s")

    sink = SmtpSink()
    sink.port = harness.free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=sink.port)
    smtp.start()
    logs = Path(tempfile.mkdtemp(prefix="bench-mix-"))
    access_log = logs / "access.log"
    recorder = Recorder(marks=rss_marks, access_log=access_log)
    load_average = [round(x, 2) for x in os.getloadavg()]
    worker = CeleryWorker(broker_url=broker, smtp_port=sink.port, database_url=db_url)
    try:
        env = {
            # pid, status, time in ms inside gunicorn, method, path, query string.
            "GUNICORN_CMD_ARGS": f"--access-logfile {access_log} "
            "--access-logformat '%(p)s %(s)s %(M)s %(m)s %(U)s %(q)s'",
            **(server_env or {}),
        }
        with harness.gunicorns(
            db_url, 1, workers=workers, threads=threads, settings="bench.settings", env=env
        ) as (server,):
            recorder.master_pid = server.process.pid
            _warm_up(server, members[0], workers * threads)
            access_log.write_text("")  # count from here: the warm-up is not part of the run
            rss_start = workers_rss(server.process.pid)
            pids = services_pids()
            groups = {
                f"gunicorn ({workers} workers)": (server.process.pid, True),
                "celery worker": (worker.process.pid, False),
                "postgresql": (pids.get("postgres", 0), True),
                "redis": (pids.get("redis-server", 0), False),
            }
            quota = -(-requests // users)  # ceil: together at least ``requests``
            meter = CpuMeter(groups)
            meter.start()
            started = time.perf_counter()
            pool = [
                threading.Thread(
                    target=User(server, member, recorder, random.Random(SEED + i), think, quota).run
                )
                for i, member in enumerate(members)
            ]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
            seconds = time.perf_counter() - started
            cpu = meter.stop(seconds, len(recorder.samples))
            rss_end = workers_rss(server.process.pid)
            served = access_log_counts(access_log)
            gunicorn_log = server.log()
        transfers = sum(1 for kind, _, ok in recorder.samples if kind == "wizard_confirm" and ok)
        drain_started = time.perf_counter()
        with contextlib.suppress(AssertionError):
            harness.wait_until(lambda: len(receipts(sink)) >= transfers, "the receipts", 120)
        drained = time.perf_counter() - drain_started
    finally:
        worker.stop()
        smtp.stop()
    state = harness.dbtool(db_url, "check", "mix")
    figures = report(recorder, seconds)
    figures.update(
        users=users,
        think_seconds=list(think),
        actions=dict(ACTIONS),
        gunicorn=f"1 instance x {workers} gthread workers x {threads} threads",
        load_average_at_start=load_average,
        seconds=round(seconds, 1),
        transfers_posted=transfers,
        receipt_emails_delivered=len(receipts(sink)),
        # The set-up's emails (e.g. each member's beneficiary registration) go out too.
        emails_delivered_in_all=len(sink.messages),
        email_relay="outbox -> Redis -> Celery worker (solo) -> SMTP -> aiosmtpd sink (discards)",
        seconds_to_drain_after_load=round(drained, 1),
        ledger_breaches=len(state["breaches"]),
        cpu=cpu,
        server_side_ms=server_side(access_log),
        gunicorn_worker_rss_mib={
            "at_start_after_warm_up": rss_start,
            **memory(recorder),
            "at_end": rss_end,
            "requests_by_worker_at_end": served,
        },
    )
    if "Traceback" in gunicorn_log:
        figures["gunicorn_tracebacks"] = gunicorn_log.count("Traceback")
    print(table(figures))
    for name in ("seconds", "transfers_posted", "receipt_emails_delivered", "ledger_breaches"):
        print(f"mix: {name} = {figures[name]}")
    print(f"mix: gunicorn worker RSS (MiB) = {json.dumps(figures['gunicorn_worker_rss_mib'])}")
    print(f"mix: CPU = {json.dumps(cpu)}")
    print(f"mix: inside gunicorn (ms) = {json.dumps(figures['server_side_ms'])}")
    return figures


def _warm_up(server, member: dict, rounds: int) -> None:
    """Imports, template caches and pooled connections in every worker thread."""
    from tests.reliability import harness

    client = harness.Member(server, member["username"])
    client.login()
    for _ in range(rounds):
        for path in (DASHBOARD, REFERENCE, TRANSFERS, BENEFICIARIES, LOANS, OWN_WIZARD):
            client.get(path)
        client.get(f"/cuentas/{member['accounts'][0]}/")
        client.get(f"{LOANS}{member['loan']}/")
