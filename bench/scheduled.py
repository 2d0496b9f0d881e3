"""``scheduled``: the scheduled-transfers job over 10,000 due orders in one run.

Set-up (not timed): 1,000 members, each with a funded source account and a destination
account of its own, and ten monthly orders each (own-account transfers of Bs 10, all due
today), written in bulk (the orders are set-up data; their signing is covered by the tests).
Then ``transfers.scheduled.scheduled_run_due`` runs once, timed: one transaction per
occurrence (claim with SKIP LOCKED, member lock, the one-off transfer's checks and pricing,
the posting, the occurrence row). The target (issue 16) is under a minute here. Afterwards
every order has exactly one posted occurrence and the ledger invariants hold.
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


def run(*, members: int = MEMBERS, per_member: int = ORDERS_PER_MEMBER) -> dict:
    from ledger.invariants import ledger_breaches
    from transfers.models import ScheduledOccurrence
    from transfers.scheduled import scheduled_run_due

    orders = orders_setup(members=members, per_member=per_member)
    started = time.perf_counter()
    handled = scheduled_run_due()
    seconds = time.perf_counter() - started
    posted = ScheduledOccurrence.objects.filter(status="posted").count()
    figures = {
        "orders": orders,
        "handled": handled,
        "posted": posted,
        "seconds": round(seconds, 2),
        "ms_per_occurrence": round(1000 * seconds / max(handled, 1), 2),
        "target_seconds": TARGET_SECONDS,
        "within_target": seconds < TARGET_SECONDS,
        "ledger_breaches": len(ledger_breaches()),
    }
    print(figures)
    return figures
