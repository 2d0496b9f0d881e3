"""Set up and inspect the reliability suite's own database, in a separate process.

    DATABASE_URL=postgres://.../reliability python -m tests.reliability.dbtool setup SPEC
    DATABASE_URL=postgres://.../reliability python -m tests.reliability.dbtool check

Why a subprocess: the harness drives gunicorn from outside (pytest, or ``make reliability``)
and must not point its own Django at a second database; every fact it checks is read here,
straight from the database the web processes wrote. Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "progresonet.settings.test")
    import django

    django.setup()


def setup(groups: list[dict]) -> dict:
    """Migrate, then for each group create ``members`` members (user, password, PIN) named
    ``<prefix><i>``, each owning ``accounts`` BOB savings accounts of ``balance``."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from transfers.models import DailyLimit

    # The workload moves far more than a member's daily own-account limit on purpose; the
    # limit is its own feature (tested in tests/transfers) and would only turn the bank
    # workload into a limit test. Staff may edit it, as here.
    DailyLimit.objects.update(amount_bob=Decimal("999999999.00"))
    return {group["prefix"]: _group(group, n) for n, group in enumerate(groups)}


def _group(spec: dict, n: int) -> list[dict]:
    from accounts.services.pin import pin_set
    from tests.factories import make_account, make_member, make_user

    prefix = spec["prefix"]
    members = []
    for i in range(spec["members"]):
        username = f"{prefix}{i}"
        member = make_member(
            document_number=f"{7000000 + n * 10000 + i}",
            email=f"{username}@example.com",
        )
        user = make_user(member=member, username=username, password=spec["password"])
        pin_set(user=user, pin=spec["pin"], notify=False)
        accounts = [
            make_account(member=member, balance=spec["balance"]).pk for _ in range(spec["accounts"])
        ]
        members.append({"username": username, "accounts": accounts})
    return members


def check(prefix: str | None = None) -> dict:
    from django.db.models import Count, Sum

    from ledger.invariants import ledger_breaches
    from ledger.models import Account
    from transfers.models import Transfer

    accounts = Account.objects.filter(kind=Account.Kind.MEMBER)
    if prefix:
        accounts = accounts.filter(holders__user__username__startswith=prefix)
    totals = {
        row["currency"]: str(row["total"])
        for row in accounts.values("currency").annotate(total=Sum("balance"))
    }
    duplicated_keys = (
        Transfer.objects.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {
        "totals": totals,
        "balances": {str(pk): str(b) for pk, b in accounts.values_list("pk", "balance")},
        "negative": accounts.filter(balance__lt=0).count(),
        "breaches": ledger_breaches(),
        "transfers": Transfer.objects.count(),
        "duplicated_idempotency_keys": duplicated_keys,
    }


def main(argv: list[str]) -> int:
    _django()
    if argv[0] == "setup":
        result = setup(json.loads(argv[1]))
    elif argv[0] == "check":
        result = check(argv[1] if len(argv) > 1 else None)
    else:
        print("usage: dbtool setup SPEC | check [PREFIX]", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
