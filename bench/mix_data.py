"""The mix benchmark's members, set up in a separate process on the mix's own database.

    DATABASE_URL=postgres://.../bench_mix python -m bench.mix_data USERS MOVEMENTS

Why a subprocess: the bench process's Django already points at the ``bench`` database (the
ledger and statement benchmarks), and settings read DATABASE_URL once. Same pattern as
``tests/reliability/dbtool.py``, whose ``setup`` creates the members (user, password, PIN, two
funded BOB accounts each) and lifts the daily limits; this adds what the member pages show:

- a statement history on the first account (``MOVEMENTS`` balanced postings, bulk-inserted by
  ``bench.statement.movements_insert``), so a "later page" exists;
- the next member's first account registered as a third-party product ("Producto
  registrado"), backdated past the new-beneficiary cooling period so the third-party wizard
  is not capped by that safeguard (a feature of its own, tested in tests/transfers);
- a 12-month consumer loan disbursed 40 days ago into the first account (one instalment
  overdue, as in the demo), for "Mis préstamos" and its payment plan.

Prints one JSON document on stdout: the members with their accounts, product and loan ids.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from decimal import Decimal

PREFIX = "mix"


def setup(users: int, movements: int, password: str, pin: str) -> list[dict]:
    from tests.reliability import dbtool

    members = dbtool.setup(
        [
            {
                "prefix": PREFIX,
                "members": users,
                "accounts": 2,
                "balance": "1000000.00",
                "password": password,
                "pin": pin,
            }
        ]
    )[PREFIX]

    from django.db import transaction
    from django.utils import timezone

    from beneficiaries.models import ThirdPartyProduct
    from beneficiaries.selectors import cooling_period
    from ledger.models import Account
    from loans.services import loan_create_and_disburse

    # The registration is signed as the member (the service requires it): the factory issues
    # the receipt through the same code path as a verified PIN.
    from tests.factories import signed_beneficiary_register_member

    from . import statement

    accounts = Account.objects.in_bulk([a for m in members for a in m["accounts"]])
    for i, member in enumerate(members):
        first = accounts[member["accounts"][0]]
        owner = first.holder_links.get().member
        if movements:
            statement.movements_insert(account_id=first.pk, count=movements)
        other = members[(i + 1) % len(members)]
        with transaction.atomic():
            product = signed_beneficiary_register_member(
                owner=owner,
                actor=None,
                number=accounts[other["accounts"][0]].number,
                alias=f"Socio {(i + 1) % len(members)}",
                idempotency_key=f"bench-mix-{i}",
            )
        ThirdPartyProduct.objects.filter(pk=product.pk).update(
            created_at=timezone.now() - cooling_period() - timedelta(days=1)
        )
        loan = loan_create_and_disburse(
            actor=None,
            member=owner,
            account=first,
            product_name="Crédito de consumo",
            currency="BOB",
            principal=Decimal("12000.00"),
            annual_rate=Decimal("14"),
            term=12,
            disbursement_date=timezone.localdate() - timedelta(days=40),
            penalty_rate=Decimal("6"),
        )
        member.update(product=product.pk, loan=loan.pk)
    return members


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "progresonet.settings.test")
    import django

    django.setup()
    users, movements, password, pin = int(argv[0]), int(argv[1]), argv[2], argv[3]
    print(json.dumps(setup(users, movements, password, pin)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
