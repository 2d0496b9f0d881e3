"""Penalty accrual through the nightly job, payments and rate changes, against the contract
computed exactly: day by day in ``Fraction``, ``unpaid principal × rate × 1 / 360`` a day, with
the one rounding the rule of :mod:`loans.calc` ("Penalty") names — the stored accrual is the
exact sum rounded half-up to 6 decimals, a charge rounds it to cents (and the stored accrual
with it). Which nights ran, were missed or ran twice must not matter.

The loans here are disbursed on 15 January 2026 at 0 % interest, so an instalment's unpaid
principal is all it owes besides penalty; instalment 1 is due on 15 February.
"""

import importlib
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.services import cash_deposit
from loans import selectors, services
from loans.models import Instalment, InstalmentStatus
from tests.factories import make_user, signed_loan_pay
from tests.loans.helpers import make_loan, new_key

pytestmark = pytest.mark.django_db
LA_PAZ = ZoneInfo("America/La_Paz")
DUE = date(2026, 2, 15)


def on(day: date):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 12, tzinfo=LA_PAZ), tick=False
    )


def half_up(value: Fraction, places: int) -> Decimal:
    return Decimal(math.floor(value * 10**places + Fraction(1, 2))).scaleb(-places)


def pay(user, loan, amount):
    return signed_loan_pay(
        user=user, loan=loan, source_account=loan.account, idempotency_key=new_key(), amount=amount
    )


def thirty_at_ten(**kwargs):
    """Bs 360 over 12 months at 0 %: instalment 1 is Bs 30,00 of principal; penalty 10 %."""
    return make_loan(principal="360.00", annual_rate="0", penalty_rate="10", **kwargs)


def test_three_nights_on_30_at_10_percent_charge_the_exact_0_025_rounded_up():
    # Exact: 30 × 10 % × 3 / 360 = 0,025 → 0,03. One day's 0,008333 added each night gave
    # 0,024999 → 0,02, a cent in the member's favour.
    loan = thirty_at_ten()
    user = make_user(member=loan.member)
    first = loan.instalments.get(number=1)
    for night in (1, 2, 3):
        services.loan_accrue_penalties(as_of=DUE + timedelta(days=night))
    first.refresh_from_db()
    assert first.penalty_accrued == Decimal("0.025000")
    assert selectors.penalty_due_on(instalment=first, loan=loan, as_of=DUE + timedelta(3)) == (
        Decimal("0.03")
    )
    with on(DUE + timedelta(days=3)):
        payment = pay(user, loan, Decimal("30.03"))
    assert payment.penalty == Decimal("0.03")
    first.refresh_from_db()
    assert (first.status, first.penalty_accrued, first.penalty_paid) == (
        InstalmentStatus.PAID,
        Decimal("0.030000"),
        Decimal("0.03"),
    )


def test_a_rate_change_keeps_the_days_before_it_exact():
    # 1 day at 10 % and 2 at 20 % on Bs 30: (3 + 12) / 360 = 0,0416666… → 0,041667; the
    # stretches rounded to 6 decimals separately (0,008333 + 0,033333) would give 0,041666.
    loan = thirty_at_ten()
    staff = make_user(is_staff=True)
    services.loan_accrue_penalties(as_of=DUE + timedelta(days=1))
    with on(DUE + timedelta(days=2)):
        services.loan_penalty_rate_update(actor=staff, loan=loan, penalty_rate=Decimal("20"))
    services.loan_accrue_penalties(as_of=DUE + timedelta(days=3))
    first = loan.instalments.get(number=1)
    assert (first.penalty_base_360, first.penalty_stretch_from) == (
        Decimal("3.00000000"),  # 30 × 10 / 100 × 1 day
        DUE + timedelta(days=1),
    )
    assert first.penalty_accrued == Decimal("0.041667")


def test_missed_nights_catch_up_to_what_the_nightly_runs_give():
    nightly, caught_up = thirty_at_ten(), thirty_at_ten()
    for night in range(1, 31):
        services.loan_accrue_penalties(as_of=DUE + timedelta(days=night), loan=nightly)
    services.loan_accrue_penalties(as_of=DUE + timedelta(days=30), loan=caught_up)
    figures = [
        list(loan.instalments.values_list("penalty_accrued", "penalty_accrued_through"))
        for loan in (nightly, caught_up)
    ]
    assert figures[0] == figures[1]
    assert figures[0][0] == (Decimal("0.250000"), DUE + timedelta(days=30))


def test_the_data_migration_starts_the_stretch_at_the_last_day_accrued():
    """An instalment accrued night by night before the migration keeps its stored figure (the
    drift is already in it) and accrues exactly from there."""
    from django.apps import apps

    migration = importlib.import_module("loans.migrations.0005_instalment_penalty_stretch")
    loan = thirty_at_ten()
    first = loan.instalments.get(number=1)
    Instalment.objects.filter(pk=first.pk).update(  # as the old nightly runs left it
        status=InstalmentStatus.OVERDUE,
        penalty_accrued=Decimal("0.024999"),
        penalty_accrued_through=DUE + timedelta(days=3),
    )
    migration.start_stretches(apps, None)
    first.refresh_from_db()
    assert (first.penalty_base_360, first.penalty_stretch_from) == (
        Decimal("8.99964000"),
        DUE + timedelta(days=3),
    )
    services.loan_accrue_penalties(as_of=DUE + timedelta(days=6))
    first.refresh_from_db()
    # 0,024999 + 30 × 10 % × 3 / 360 = 0,049999 (not the 0,049998 of three more increments).
    assert first.penalty_accrued == Decimal("0.049999")


# --- the property ---------------------------------------------------------------------------

# Staff rates: 0–100 %, up to 4 decimals, biased to short ones (half cents more likely).
rates = st.one_of(
    st.integers(0, 100).map(Decimal),
    st.integers(1, 1000).map(lambda n: Decimal(n).scaleb(-1)),
    st.integers(1, 1000000).map(lambda n: Decimal(n).scaleb(-4)),
)
# A step: 1–4 days on (the nights between are missed), the nightly job runs that day 0, 1 or 2
# times, then at noon a payment, a rate change or nothing.
steps = st.tuples(
    st.integers(1, 4),
    st.integers(0, 2),
    st.one_of(
        st.none(),
        st.tuples(st.just("pay"), st.integers(1, 100)),  # percent of instalment 1's due
        st.tuples(st.just("rate"), rates),
    ),
)


class Reference:
    """Per instalment: the exact accrual, the last day accounted for, the unpaid principal."""

    def __init__(self, loan):
        self.rate = Fraction(loan.penalty_rate)
        self.rows = {
            i.pk: {"due": i.due_date, "through": i.due_date, "exact": Fraction(0), "paid": False}
            for i in loan.instalments.all()
        }
        self.unpaid = {i.pk: Fraction(i.principal_due) for i in loan.instalments.all()}

    def advance(self, to: date) -> None:
        for pk, row in self.rows.items():
            while row["through"] < to and not row["paid"]:
                row["through"] += timedelta(days=1)
                row["exact"] += self.unpaid[pk] * self.rate / 100 / 360

    def expected_through(self, pk):
        row = self.rows[pk]
        return None if row["through"] == row["due"] else row["through"]


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    principal_cents=st.integers(2_00, 2_000_000_00),
    penalty_rate=rates,
    schedule=st.lists(steps, min_size=1, max_size=15),
)
@example(principal_cents=360_00, penalty_rate=Decimal("10"), schedule=[(1, 1, None)] * 3)
@example(
    principal_cents=360_00,
    penalty_rate=Decimal("10"),
    schedule=[(1, 1, None), (1, 0, ("rate", Decimal("20"))), (2, 1, ("pay", 50)), (30, 0, None)],
)
def test_any_runs_payments_and_rate_changes_accrue_the_exact_piecewise_penalty(
    principal_cents, penalty_rate, schedule
):
    loan = make_loan(
        principal=str(Decimal(principal_cents).scaleb(-2)),
        annual_rate="0",
        term=2,
        penalty_rate=str(penalty_rate),
    )
    cash_deposit(account=loan.account, amount=Decimal("10000000.00"))
    user, staff = make_user(member=loan.member), make_user(is_staff=True)
    reference = Reference(loan)
    day = DUE
    for gap, runs, event in schedule:
        day += timedelta(days=gap)
        for _ in range(runs):
            services.loan_accrue_penalties(as_of=day, loan=loan)
            reference.advance(day)
        if event and event[0] == "rate" and event[1] != loan.penalty_rate:
            with on(day):
                services.loan_penalty_rate_update(actor=staff, loan=loan, penalty_rate=event[1])
            reference.advance(day - timedelta(days=1))
            reference.rate = Fraction(event[1])
        elif event and event[0] == "pay":
            first = loan.instalments.get(number=1)
            owed = first.principal_due + selectors.penalty_due_on(
                instalment=first, loan=loan, as_of=day
            )
            amount = max(Decimal("0.01"), (owed * event[1] / 100).quantize(Decimal("0.01")))
            if first.is_paid:
                continue
            with on(day):
                payment = pay(user, loan, amount)
            reference.advance(day)
            for allocation in payment.allocations.all():
                row = reference.rows[allocation.instalment_id]
                row["exact"] = Fraction(half_up(Fraction(half_up(row["exact"], 6)), 2))
            for instalment in loan.instalments.all():
                reference.unpaid[instalment.pk] = Fraction(instalment.principal_due)
                reference.rows[instalment.pk]["paid"] = instalment.is_paid
        check(loan, reference, day)
    day += timedelta(days=1)
    services.loan_accrue_penalties(as_of=day, loan=loan)
    reference.advance(day)
    check(loan, reference, day)


def check(loan, reference, day):
    loan.refresh_from_db()
    for instalment in loan.instalments.all():
        row = reference.rows[instalment.pk]
        assert instalment.penalty_accrued == half_up(row["exact"], 6), instalment.number
        assert instalment.penalty_accrued_through == reference.expected_through(instalment.pk)
        if instalment.is_paid:
            continue
        # What the page shows for today, as a payment would charge it: the exact accrual to
        # today rounded once, never less than the exact figure rounded straight to cents.
        exact_today = row["exact"] + sum(
            reference.unpaid[instalment.pk] * reference.rate / 100 / 360
            for _ in range((day - max(row["through"], row["due"])).days)
        )
        shown = selectors.penalty_due_on(instalment=instalment, loan=loan, as_of=day)
        assert shown + instalment.penalty_paid == half_up(Fraction(half_up(exact_today, 6)), 2)
        assert shown + instalment.penalty_paid >= half_up(exact_today, 2)
