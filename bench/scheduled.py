"""``scheduled``: the scheduled-transfers job over 10,000 due orders in one run.

Set-up (not timed): 1,000 members, each with a funded source account and a destination
account of its own, and ten monthly orders each (own-account transfers of Bs 10, all due
today), written in bulk (the orders are set-up data; their signing is covered by the tests).
Then the run, timed, as deployed: ``SCHEDULED_TRANSFER_RUNNERS`` processes, each running
its share of members (``transfers.scheduled.scheduled_run_due(share=…, shares=…)``, what
``transfers.tasks.scheduled_run_share_task`` runs), one transaction per occurrence (claim
with SKIP LOCKED and the member lock, the one-off transfer's checks and pricing, the
posting, the occurrence row), receipts published to Redis as in production. The target
(issue 16) is under a minute here. Afterwards every order has exactly one posted occurrence
and the ledger invariants hold.
"""

from __future__ import annotations

import time
from decimal import Decimal

MEMBERS = 1_000
ORDERS_PER_MEMBER = 10
TARGET_SECONDS = 60.0


def orders_setup(*, members: int, per_member: int) -> int:
    """Create the members, accounts and due orders; return how many orders."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Member, User
    from ledger import services
    from ledger.models import Account, Holder
    from transfers.models import DailyLimit, ScheduledTransfer, TransferType

    # The daily limit is per member and type: 10 x Bs 10 a day stays far below it.
    DailyLimit.objects.update_or_create(
        transfer_type=TransferType.OWN, defaults={"amount_bob": Decimal("1000000.00")}
    )
    stamp = int(time.time())
    today = timezone.localdate()
    with transaction.atomic():
        people = Member.objects.bulk_create(
            Member(
                kind=Member.Kind.PERSON,
                document_type=Member.DocumentType.CI,
                document_number=f"9{stamp % 10000:04d}{i:05d}",
                document_issued_in="LP",
                first_names=f"Prog{i}",
                last_names="Bench",
                email=f"prog{stamp}{i}@example.com",
            )
            for i in range(members)
        )
        users = User.objects.bulk_create(
            # "!": an unusable password (no hashing for 1,000 set-up users).
            User(username=f"prog{stamp}_{i}", member=m, password="!", email=m.email)  # noqa: S106
            for i, m in enumerate(people)
        )
        accounts = Account.objects.bulk_create(
            Account(
                number=f"3{stamp % 1000:03d}{i:06d}",
                kind=Account.Kind.MEMBER,
                product_type=Account.ProductType.SAVINGS,
                holder_mode=Account.HolderMode.INDIVIDUAL,
                currency="BOB",
            )
            for i in range(members * 2)
        )
        Holder.objects.bulk_create(
            Holder(account=a, member=people[i // 2], role=Holder.Role.OWNER)
            for i, a in enumerate(accounts)
        )
    for i in range(members):
        services.cash_deposit(account=accounts[2 * i], amount=Decimal("1000.00"))
    ScheduledTransfer.objects.bulk_create(
        ScheduledTransfer(
            created_by=users[i],
            member=people[i],
            transfer_type=TransferType.OWN,
            source_account=accounts[2 * i],
            destination_account=accounts[2 * i + 1],
            destination_label="Propia",
            currency="BOB",
            amount=Decimal("10.00"),
            description="Bench",
            kind=ScheduledTransfer.Kind.MONTHLY,
            start_date=today,
            day_of_month=today.day,
            max_occurrences=12,
            next_due_date=today,
            signed_fingerprint="bench",
            idempotency_key=f"bench-{stamp}-{i}-{n}",
        )
        for i in range(members)
        for n in range(per_member)
    )
    return members * per_member


def _runner(share: int, shares: int, go, results) -> None:
    """One worker process of the deployment: its share of the run (``scheduled_run_share_task``)."""
    from django.db import connection

    from transfers.scheduled import scheduled_run_due

    go.wait()
    started = time.perf_counter()
    handled = scheduled_run_due(share=share, shares=shares)
    results.put((handled, started, time.perf_counter()))
    connection.close()


def timed_run(*, runners: int) -> tuple[int, float]:
    """Run every due date with ``runners`` processes; (handled, wall seconds).

    ``runners`` > 1: forked processes, each running one share as a Celery worker process runs
    ``transfers.tasks.scheduled_run_share_task``; the wall time is from the first runner's start
    to the last one's end (the clock is monotonic across processes). Inside a test's
    transaction (the smoke test) the forks could not see the uncommitted set-up, so the shares
    run one after the other in this process."""
    import multiprocessing

    from django.db import connection, connections

    from transfers.scheduled import scheduled_run_due

    if runners <= 1 or connection.in_atomic_block:
        started = time.perf_counter()
        handled = sum(
            scheduled_run_due(share=share, shares=max(runners, 1)) for share in range(runners)
        )
        return handled, time.perf_counter() - started
    connections.close_all()  # each fork opens its own connection
    context = multiprocessing.get_context("fork")
    go, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=_runner, args=(share, runners, go, results))
        for share in range(runners)
    ]
    for process in processes:
        process.start()
    go.set()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    handled = sum(outcome[0] for outcome in outcomes)
    return handled, max(o[2] for o in outcomes) - min(o[1] for o in outcomes)


def run(
    *, members: int = MEMBERS, per_member: int = ORDERS_PER_MEMBER, runners: int | None = None
) -> dict:
    from django.conf import settings

    from ledger.invariants import ledger_breaches
    from progresonet.celery import app
    from transfers.models import ScheduledOccurrence

    runners = settings.SCHEDULED_TRANSFER_RUNNERS if runners is None else runners
    orders = orders_setup(members=members, per_member=per_member)
    # As deployed: each receipt email is queued on Redis after its commit, for the outbox's
    # workers to send (not sent inside the run, as the test settings' eager Celery would).
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        handled, seconds = timed_run(runners=runners)
    finally:
        app.conf.task_always_eager = eager
    posted = ScheduledOccurrence.objects.filter(status="posted").count()
    figures = {
        "orders": orders,
        "handled": handled,
        "posted": posted,
        "runners": runners,
        "seconds": round(seconds, 2),
        "ms_per_occurrence": round(1000 * seconds / max(handled, 1), 2),
        "target_seconds": TARGET_SECONDS,
        "within_target": seconds < TARGET_SECONDS,
        "ledger_breaches": len(ledger_breaches()),
    }
    print(figures)
    return figures
