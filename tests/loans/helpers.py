"""Builders for loan tests: loans are always created through the disbursement service."""

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from loans import services
from tests.factories import make_account, make_member, make_user

_keys = itertools.count(1)


def new_key() -> str:
    return f"test-key-{next(_keys)}"


def make_loan(
    *,
    member=None,
    account=None,
    currency="BOB",
    principal="10000.00",
    annual_rate="12",
    term=12,
    disbursement_date=date(2026, 1, 15),
    penalty_rate="6",
    product_name="Crédito de consumo",
):
    member = member or make_member()
    account = account or make_account(member=member, currency=currency)
    # Granted on its disbursement day: the service refuses dates in the future or more than a
    # year back, and fixed test dates must not expire as the calendar moves on.
    when = datetime(disbursement_date.year, disbursement_date.month, disbursement_date.day, 12)
    with time_machine.travel(when.replace(tzinfo=ZoneInfo("America/La_Paz")), tick=False):
        return services.loan_create_and_disburse(
            actor=None,
            member=member,
            account=account,
            product_name=product_name,
            currency=currency,
            principal=Decimal(principal),
            annual_rate=Decimal(annual_rate),
            term=term,
            disbursement_date=disbursement_date,
            penalty_rate=Decimal(penalty_rate),
        )


def member_with_user(**kwargs):
    member = make_member(**kwargs)
    user = make_user(member=member, password="Cancionero45")
    return member, user
