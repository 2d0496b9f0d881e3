"""``transfer_http``: the whole "Entre mis cuentas" wizard over HTTP against gunicorn on
PostgreSQL, by 8 concurrent members, next to a trivial authenticated view (the dashboard)
served by the same gunicorn in the same run.

Run ``ROUNDS`` times; reported (the median round, and every round's p95): transfers per
second, p50/p95 of the signing step (the POST that verifies the PIN and posts the transfer),
p50/p95 of the dashboard and the ratio of the two p95s. Target: the signing step's p95
under 250 ms on these 2-core machines (issue 13; issue 6 asked for 300).

The server runs ``bench.settings``: the production Argon2id cost for the PIN and a real
broker (the request queues the email relay; no worker needs to run for this figure).

The client side is plain ``http.client`` (tests/reliability/harness.py) in threads of this
process, so the machine's two cores are shared between the load and the server, as with any
single-box load test.
"""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

from . import common

CLIENTS = 8
TRANSFERS_PER_CLIENT = 40
WORKERS = 2
THREADS = 4
TARGET_P95_MS = 250  # issue 13 (was 300, issue 6)
ROUNDS = 3
# Production PIN hashing and a real broker (see bench/settings.py).
SETTINGS = "bench.settings"


def _round(
    *,
    clients: int = CLIENTS,
    transfers_per_client: int = TRANSFERS_PER_CLIENT,
    workers: int = WORKERS,
    threads: int = THREADS,
) -> dict:
    # The harness finds the throwaway server through this variable: common.django_setup()
    # has pointed DATABASE_URL at the bench database.
    os.environ.setdefault("RELIABILITY_SERVER_URL", common.server_url())
    from tests.reliability import harness

    db_url = harness.database_recreate("bench_transfer_http")
    # One member per client, each with two accounts: this measures the wizard's cost, not
    # contention (the reliability suite's bank workload is the contention test).
    members = harness.members_setup(
        db_url,
        [{"prefix": "http", "members": clients, "accounts": 2, "balance": "1000000.00"}],
        settings=SETTINGS,
    )["http"]
    confirm: list[float] = []
    wizard: list[float] = []
    dashboard: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client_run(index: int, server) -> None:
        member = members[index]
        client = harness.Member(server, member["username"])
        client.login()
        source, destination = member["accounts"]
        for n in range(transfers_per_client):
            if n % 2:
                source, destination = destination, source
            started = time.perf_counter()
            _, key = client.walk_to_confirm(source, destination, Decimal("1.00"))
            signed = client.confirm(key) if key else None
            total = time.perf_counter() - started
            page, _balances = client.balances()
            with lock:
                if signed is None or harness.receipt_id(signed) is None:
                    failures.append(f"{member['username']} #{n}: {signed and signed.status}")
                    continue
                confirm.append(signed.seconds)
                wizard.append(total)
                if page.status == 200:
                    dashboard.append(page.seconds)

    with harness.gunicorns(db_url, 1, workers=workers, threads=threads, settings=SETTINGS) as (
        server,
    ):
        # Warm-up: imports, template caches and pooled connections in every worker.
        warm = harness.Member(server, members[0]["username"])
        warm.login()
        for _ in range(workers * threads):
            warm.get(harness.DASHBOARD)
        started = time.perf_counter()
        pool = [threading.Thread(target=client_run, args=(i, server)) for i in range(clients)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        seconds = time.perf_counter() - started
    state = harness.dbtool(db_url, "check")
    if state["breaches"] or failures:
        raise SystemExit(f"bench transfer_http: {failures[:5]} {state['breaches'][:5]}")

    def p(samples: list[float], q: int) -> float:
        return harness.ms(harness.percentile(samples, q))

    figures = {
        "clients": clients,
        "transfers": len(confirm),
        "gunicorn": f"1 instance x {workers} gthread workers x {threads} threads",
        "seconds": round(seconds, 1),
        "transfers_per_second": round(len(confirm) / seconds, 1),
        "signing_step_p50_ms": p(confirm, 50),
        "signing_step_p95_ms": p(confirm, 95),
        "whole_wizard_p95_ms": p(wizard, 95),
        "dashboard_p50_ms": p(dashboard, 50),
        "dashboard_p95_ms": p(dashboard, 95),
        "ratio_signing_p95_to_dashboard_p95": round(p(confirm, 95) / p(dashboard, 95), 2),
        "target_signing_p95_ms": TARGET_P95_MS,
        "target_met": p(confirm, 95) < TARGET_P95_MS,
        "ledger_breaches": len(state["breaches"]),
    }
    return figures


def run(*, rounds: int = ROUNDS, **kwargs) -> dict:
    """``rounds`` independent rounds (fresh database and gunicorn each); the headline figures
    are the median round's, every round's are kept. One round's p95 on two shared vCPUs moves
    by ±15 % between identical runs (bench/README.md), so a single figure says little."""
    results = []
    for number in range(1, rounds + 1):
        figures = _round(**kwargs)
        print(
            f"transfer_http: round {number}/{rounds}: signing p95 "
            f"{figures['signing_step_p95_ms']} ms, {figures['transfers_per_second']} transfers/s"
        )
        results.append(figures)
    ranked = sorted(results, key=lambda f: f["signing_step_p95_ms"])
    figures = {
        **ranked[len(ranked) // 2],
        "rounds": len(results),
        "headline": "the round with the median signing p95",
        "signing_step_p95_ms_by_round": [f["signing_step_p95_ms"] for f in results],
        "transfers_per_second_by_round": [f["transfers_per_second"] for f in results],
        "rounds_meeting_target": sum(f["target_met"] for f in results),
    }
    for name, value in figures.items():
        print(f"transfer_http: {name} = {value}")
    return figures
