"""``make reliability``: the HTTP scenarios at the issue's size, a table, and
``bench/out/reliability.json``.

    python scripts/services.py -- python -m tests.reliability [--clients 50] [--transfers 10000]

Exit status 1 when any scenario fails its check. The same scenarios run small in ``make test``
(tests/reliability/test_http.py).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from decimal import Decimal

from . import harness

BALANCE = Decimal("1000.00")


def _sound(state: dict) -> bool:
    return (
        state["breaches"] == []
        and state["negative"] == 0
        and not state["duplicated_idempotency_keys"]
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10, help="bank members (4 accounts each)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--fault-transfers", type=int, default=1000)
    parser.add_argument("--registrants", type=int, default=100, help="Redis-outage registrants")
    parser.add_argument("--skip-pytest", action="store_true", help="no fuzz/fault pytest run")
    parser.add_argument(
        "--fx-examples", type=int, default=10_000, help="Hypothesis examples per FX property"
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    db_url = harness.database_recreate("reliability")
    members = harness.members_setup(
        db_url,
        [
            {"prefix": "bank", "members": args.members, "accounts": 4, "balance": str(BALANCE)},
            {"prefix": "double", "members": 1, "accounts": 2, "balance": str(BALANCE)},
            {"prefix": "overdraw", "members": 1, "accounts": 2, "balance": str(BALANCE)},
            {"prefix": "scale", "members": 1, "accounts": 2, "balance": str(BALANCE)},
            {"prefix": "bouncer", "members": args.members, "accounts": 4, "balance": str(BALANCE)},
        ],
    )
    rows: dict[str, dict] = {}
    with harness.gunicorns(db_url, 2, workers=args.workers, threads=args.threads) as servers:
        before = harness.dbtool(db_url, "check", "bank")
        print(f"bank: {args.clients} clients, {args.transfers} transfers ...", flush=True)
        bank = harness.bank_workload(
            servers,
            members["bank"],
            clients=args.clients,
            transfers=args.transfers,
            initial=BALANCE,
        )
        after = harness.dbtool(db_url, "check", "bank")
        rows["bank"] = {
            **bank.figures(),
            "members": args.members,
            "accounts": args.members * 4,
            "gunicorn": f"2 instances x {args.workers} workers x {args.threads} threads",
            "totals_before": before["totals"],
            "totals_after": after["totals"],
            "ledger_breaches": len(after["breaches"]),
            "negative_balances": after["negative"],
            "passed": (
                bank.problems == []
                and bank.server_errors == 0
                and bank.transport_errors == 0
                and bank.read_mismatches == 0
                and after["totals"] == before["totals"]
                and after["transfers"] - before["transfers"] == bank.succeeded
                and _sound(after)
            ),
        }
        for problem in bank.problems[:10]:
            print(f"  bank problem: {problem}")

        # The same bank workload once more, through a real PgBouncer in transaction mode
        # (docker-compose.yml's deployment): same money, no 5xx.
        transfers = max(args.transfers // 5, 100)
        print(f"pgbouncer: {args.clients} clients, {transfers} transfers ...", flush=True)
        with harness.pgbouncer(db_url) as pooled_url:  # noqa: SIM117 - the second uses the first
            with harness.gunicorns(
                pooled_url, 2, workers=args.workers, threads=args.threads, env=harness.POOLING_ENV
            ) as pooled:
                before = harness.dbtool(db_url, "check", "bouncer")
                bounced = harness.bank_workload(
                    pooled,
                    members["bouncer"],
                    clients=args.clients,
                    transfers=transfers,
                    initial=BALANCE,
                )
                after = harness.dbtool(db_url, "check", "bouncer")
        rows["bank_through_pgbouncer"] = {
            **bounced.figures(),
            "pool": "pgbouncer transaction mode, 10 server connections",
            "totals_before": before["totals"],
            "totals_after": after["totals"],
            "passed": (
                bounced.problems == []
                and bounced.server_errors == 0
                and bounced.transport_errors == 0
                and bounced.read_mismatches == 0
                and after["totals"] == before["totals"]
                and after["transfers"] - before["transfers"] == bounced.succeeded
                and _sound(after)
            ),
        }

        count = harness.dbtool(db_url, "check")["transfers"]
        double = harness.double_submit(servers[0], members["double"][0], copies=20)
        state = harness.dbtool(db_url, "check")
        rows["double_submit"] = {
            **double,
            "transfers_created": state["transfers"] - count,
            "passed": state["transfers"] - count == 1
            and len(double["receipts"]) == 1
            and _sound(state),
        }

        count = state["transfers"]
        race = harness.overdraw_race(servers[0], members["overdraw"][0], balance=BALANCE)
        state = harness.dbtool(db_url, "check")
        rows["overdraw_race"] = {
            **race,
            "transfers_created": state["transfers"] - count,
            "passed": race["posted"] == 1
            and race["explained"] == race["racers"] - 1
            and state["transfers"] - count == 1
            and _sound(state),
        }

        count = state["transfers"]
        scale = harness.scale_out(servers[0], servers[1], members["scale"][0])
        state = harness.dbtool(db_url, "check")
        rows["scale_out"] = {
            **scale,
            "transfers_created": state["transfers"] - count,
            "passed": scale["signed_status"] == 302
            and scale["replay_receipt"] == scale["receipt"] is not None
            and state["transfers"] - count == 1
            and _sound(state),
        }
        errors = [line for s in servers for line in s.log().splitlines() if " ERROR " in line]
    for line in errors[:10]:
        print(f"  server error: {line}")

    print(f"postgres restart: {args.fault_transfers} transfers, database down mid-run ...")
    from .test_faults import postgres_restart_scenario

    cluster = harness.PostgresCluster()
    try:
        fault = postgres_restart_scenario(cluster, clients=8, transfers=args.fault_transfers)
    finally:
        cluster.cleanup()
    rows["postgres_restart"] = {
        **{k: v for k, v in fault.items() if k != "recovery_problems"},
        "passed": fault["breaches"] == []
        and fault["negative"] == 0
        and fault["totals_after"] == fault["totals_before"]
        and fault["transfers_created"] >= fault["posted_seen_by_clients"]
        and fault["recovery_5xx"] == 0
        and fault["recovery_transport_errors"] == 0
        and fault["unclean_errors"] == 0,
    }
    rows.update(_outbox_rows(args))
    if not args.skip_pytest:
        rows.update(_pytest_rows())
        rows["fx_property"] = _fx_property_row(args.fx_examples)
    harness.report_print(rows)
    path = harness.report_write(rows)
    print(f"reliability: written to {path} in {time.monotonic() - started:.0f} s")
    return 0 if all(row["passed"] for row in rows.values()) else 1


def _outbox_rows(args: argparse.Namespace) -> dict[str, dict]:
    from . import outbox_faults

    rows = {}
    print(f"redis outage: {args.registrants} registrations over HTTP, Redis stopped ...")
    figures = outbox_faults.registration_outage_scenario(registrants=args.registrants)
    rows["redis_outage_registrations"] = {
        **figures,
        "passed": outbox_faults.registration_outage_passed(figures),
    }
    print(f"worker kill: SIGKILL at each of {len(outbox_faults.PHASES)} phases of a send ...")
    figures = outbox_faults.worker_kill_scenario(phases=outbox_faults.PHASES, messages=10)
    rows["worker_sigkill_mid_send"] = {
        **{k: v for k, v in figures.items() if k != "timeline"},
        "passed": outbox_faults.worker_kill_passed(figures),
    }
    return rows


PYTEST_PARTS = {
    # Hypothesis at >= 1,000 examples per form (tests/fuzz/conftest.py's "reliability").
    "fuzz_forms": ["tests/fuzz"],
    "security_matrix_csrf": ["tests/security", "tests/test_headers.py"],
    # Two clients behind a real nginx: separate throttles, their own addresses in audit rows
    # and session lists; a forged X-Forwarded-For (direct or through nginx) changes nothing.
    "proxy (nginx)": ["tests/security/test_nginx_proxy.py", "tests/security/test_trusted_proxy.py"],
    "faults_broker_and_smtp": [
        "tests/accounts/test_registration_integration.py",
        "tests/plumbing/test_outbox.py",
        "tests/reliability/test_faults.py",
    ],
}


def _pytest_rows() -> dict[str, dict]:
    rows = {}
    for name, paths in PYTEST_PARTS.items():
        print(f"{name}: pytest {' '.join(paths)} ...", flush=True)
        started = time.monotonic()
        env = {**os.environ, "HYPOTHESIS_PROFILE": "reliability"}
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
            env=env,
            capture_output=True,
            text=True,
        )
        tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|error)", tail)}
        rows[name] = {
            "paths": paths,
            "summary": tail,
            **counts,
            "seconds": round(time.monotonic() - started),
            "passed": result.returncode == 0,
        }
        if result.returncode != 0:
            print(result.stdout[-3000:])
    return rows


FX_PROPERTY_PATHS = ["tests/transfers/test_fx_property.py"]


def _fx_property_row(examples: int) -> dict:
    """The rounding property (no sequence of conversions mints money) at ``examples`` examples
    per property; ``make test`` runs the same file at 100."""
    print(f"fx_property: {examples} examples per property ...", flush=True)
    started = time.monotonic()
    env = {**os.environ, "FX_PROPERTY_EXAMPLES": str(examples)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FX_PROPERTY_PATHS],
        env=env,
        capture_output=True,
        text=True,
    )
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|error)", tail)}
    if result.returncode != 0:
        print(result.stdout[-3000:])
    return {
        "examples_per_property": examples,
        "properties": counts.get("passed", 0) + counts.get("failed", 0),
        "summary": tail,
        "seconds": round(time.monotonic() - started),
        "passed": result.returncode == 0 and counts.get("passed", 0) > 0,
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
