"""Faults with real processes: PostgreSQL stopped and started in the middle of a run of
transfers over HTTP. Requests fail cleanly during the outage (an error page, never a hang or a
half-applied transfer), the portal recovers by itself, and the ledger invariant holds."""

import threading
import time
from decimal import Decimal

import pytest

from . import harness

pytestmark = pytest.mark.slow

BALANCE = Decimal("1000.00")


@pytest.fixture
def cluster():
    pg = harness.PostgresCluster()
    try:
        yield pg
    finally:
        pg.cleanup()


def postgres_restart_scenario(pg, *, clients: int, transfers: int, outage: float = 3.0) -> dict:
    db_url = pg.database_create("fault")
    members = harness.members_setup(
        db_url, [{"prefix": "pgfault", "members": 2, "accounts": 4, "balance": str(BALANCE)}]
    )["pgfault"]
    with harness.gunicorns(db_url, 1, workers=2, threads=4) as (server,):
        before = harness.dbtool(db_url, "check")
        during: dict = {}

        def run() -> None:
            during["result"] = harness.bank_workload(
                [server], members, clients=clients, transfers=transfers, initial=BALANCE,
                tolerate_outage=True,
            )  # fmt: skip

        worker = threading.Thread(target=run)
        worker.start()
        # Let transfers flow, then take the database away mid-run and bring it back.
        harness.wait_until(
            lambda: _transfers(db_url) > before["transfers"], "the first transfers to post"
        )
        pg.stop()
        time.sleep(outage)
        pg.start()
        worker.join()
        # Recovery: a fresh round on the same gunicorn (same pooled connections) is clean.
        after_outage = harness.bank_workload(
            [server], members, clients=clients, transfers=max(8, transfers // 4), initial=BALANCE
        )
        after = harness.dbtool(db_url, "check")
        log = server.log()
    result = during["result"]
    return {
        "transfers_during_run": result.attempted,
        "posted_during_run": result.succeeded,
        "failed_cleanly_during_outage": result.server_errors + result.transport_errors,
        "statuses_during_run": dict(result.statuses),
        "recovery_transfers": after_outage.attempted,
        "recovery_posted": after_outage.succeeded,
        "recovery_5xx": after_outage.server_errors,
        "recovery_transport_errors": after_outage.transport_errors,
        "recovery_problems": after_outage.problems,
        "totals_before": before["totals"],
        "totals_after": after["totals"],
        "transfers_created": after["transfers"] - before["transfers"],
        "posted_seen_by_clients": result.succeeded + after_outage.succeeded,
        "breaches": after["breaches"],
        "negative": after["negative"],
        # The Spanish error page each time, never gunicorn's bare one or a dropped connection.
        "unclean_errors": result.unclean_errors + after_outage.unclean_errors,
        "database_errors_logged": log.count("OperationalError"),
    }  # fmt: skip


def _transfers(db_url: str) -> int:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM transfers_transfer").fetchone()[0]


def test_postgres_restart_mid_run(cluster):
    outcome = postgres_restart_scenario(cluster, clients=4, transfers=60)
    assert outcome["breaches"] == []
    assert outcome["negative"] == 0
    assert outcome["totals_after"] == outcome["totals_before"]
    # Every transfer a client saw posted is in the ledger; a confirm lost to the outage may
    # have posted without the client hearing back, never half.
    assert outcome["transfers_created"] >= outcome["posted_seen_by_clients"]
    assert outcome["recovery_5xx"] == 0, outcome
    assert outcome["recovery_transport_errors"] == 0
    assert outcome["recovery_problems"] == []
    assert outcome["recovery_posted"] > 0
    assert outcome["failed_cleanly_during_outage"] > 0  # the outage did hit requests
    assert outcome["unclean_errors"] == 0, outcome["statuses_during_run"]
    assert outcome["database_errors_logged"] > 0


@pytest.mark.django_db(transaction=True)
def test_smtp_down_messages_wait_in_the_outbox_then_go_out_once(redis_server):
    """A real Celery worker (with its beat relaying due messages every second) sends to an
    SMTP port where nothing listens: the messages stay pending with a backoff. The SMTP server
    comes up on that port; once the backoff is due each message is delivered exactly once.
    Its own Redis: the suite's session worker consumes from the shared one."""
    from collections import Counter

    from aiosmtpd.controller import Controller
    from django.db import transaction

    from outbox.models import OutboxMessage
    from outbox.services import email_enqueue
    from tests.integration_fixtures import (
        CeleryWorker,
        SmtpSink,
        celery_publishing_to,
        free_port,
        wait_until,
    )

    broker = redis_server.url
    port = free_port()  # nobody listens here yet
    worker = CeleryWorker(broker_url=broker, smtp_port=port, beat_interval=1)
    sink = SmtpSink()
    controller = None
    try:
        with celery_publishing_to(broker):
            for n in range(5):
                with transaction.atomic():
                    email_enqueue(
                        to=f"socio{n}@example.com",
                        subject="Prueba",
                        template="tests/test_message",
                        context={"name": "María"},
                    )
            pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
            wait_until(
                lambda: pending.filter(attempts__gte=1).count() == 5,
                "every message to fail once against the dead SMTP port",
            )
            assert sink.messages == []
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            # Time passing, compressed: the backoff is due now (the relay decides the rest).
            pending.update(next_attempt_at=OutboxMessage.objects.earliest("pk").created_at)
            wait_until(lambda: len(sink.messages) >= 5, "the five messages to arrive")
            wait_until(lambda: not pending.exists(), "the outbox to mark them sent")
    finally:
        worker.stop()
        if controller is not None:
            controller.stop()
    counts = Counter(m["Message-ID"] for m in sink.messages)
    ids = OutboxMessage.objects.values_list("pk", flat=True)
    assert counts == Counter({f"<outbox-{pk}@progresonet>": 1 for pk in ids})
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
