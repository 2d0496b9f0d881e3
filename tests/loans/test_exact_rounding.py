"""Loan arithmetic (loans.calc) against the contract computed exactly, in ``Fraction``.

The cooperative must never collect less than the exact contract figure rounded per the rule
the module docstring of :mod:`loans.calc` documents (half-up to cents for every interest figure
of the schedule, for the instalment and for each period of accrued interest; half-up to
6 decimals for a penalty increment). A rate cut to ``Decimal``'s 28 digits before it was used
made a period whose exact interest sits on a half cent (Bs 25.350 at 29,8 %: 629,525) round
down, a cent in the member's favour, so every expected figure here is computed with no
rounding at all until the one the rule names.

Hitting a half cent at random is rare, so the strategies also build principals whose interest
sits exactly on one (:func:`half_cent_principal`).
"""

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from loans import calc

START = date(2026, 1, 31)  # the 31st: due dates clamp to short months


def half_up(value: Fraction, places: int = 2) -> Decimal:
    """``value`` rounded half away from zero to ``places`` decimals, exactly."""
    scale = 10**places
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    return Decimal(magnitude if value >= 0 else -magnitude).scaleb(-places)


def exact_rate(annual_rate: Decimal, months: int) -> Fraction:
    return Fraction(annual_rate) / 100 * months / 12


def exact_instalment(principal: Decimal, annual_rate: Decimal, term: int, months: int):
    rate = exact_rate(annual_rate, months)
    if rate == 0:
        return half_up(Fraction(principal) / term)
    return half_up(Fraction(principal) * rate / (1 - (1 + rate) ** -term))


def half_cent_principal(factor: Fraction, odd: int, *, places: int = 2) -> Decimal | None:
    """A principal (whole cents) whose ``principal × factor`` lies exactly halfway between two
    multiples of ``10**-places``, or None when no principal in cents can put it there.

    With ``principal = c / 100``, ``principal × factor × 2·10**places = c × A / B`` where
    ``A = factor.numerator × 2·10**places`` and ``B = 100 × factor.denominator``: with
    ``g = gcd(A, B)``, ``c = (B / g) × odd`` makes it ``odd × A / g``, an odd number of half
    units exactly when ``A / g`` is odd.
    """
    big_a = factor.numerator * 2 * 10**places
    big_b = 100 * factor.denominator
    g = math.gcd(big_a, big_b)
    if (big_a // g) % 2 == 0:
        return None
    return Decimal(big_b // g * odd).scaleb(-2)


# Rates as staff type them (7 digits, 4 decimals, 0–100 %), biased to the short ones that are
# common on a loan contract and that make half cents likely.
rates = st.one_of(
    st.integers(1, 100).map(Decimal),
    st.integers(1, 1000).map(lambda n: Decimal(n).scaleb(-1)),
    st.integers(1, 10000).map(lambda n: Decimal(n).scaleb(-2)),
    st.integers(1, 1000000).map(lambda n: Decimal(n).scaleb(-4)),
)
principals = st.integers(1, 10**11).map(lambda c: Decimal(c).scaleb(-2))
months = st.sampled_from([1, 3])


def assert_schedule_exact(principal, annual_rate, term, months_per_period):
    rows = calc.french_schedule(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        disbursement_date=START,
        months_per_period=months_per_period,
    )
    instalment = exact_instalment(principal, annual_rate, term, months_per_period)
    assert (
        calc.fixed_instalment(
            principal=principal, annual_rate=annual_rate, term=term, months=months_per_period
        )
        == instalment
    )
    rate = exact_rate(annual_rate, months_per_period)
    balance = principal
    for row in rows:
        assert row.interest == half_up(Fraction(balance) * rate), (row.number, balance)
        if row.number < term:
            assert row.amount == instalment or row.principal == balance, row.number
        balance -= row.principal
        assert row.balance_after == balance
    assert balance == 0


@settings(max_examples=300, deadline=None)
@given(principal=principals, annual_rate=rates, term=st.integers(1, 60), months_per_period=months)
# Found by 20.000 random loans before the fix: rows whose exact interest is a half cent.
@example(Decimal("624044.71"), Decimal("29.8"), 37, 1)  # row 37 on 25.350,00: 629,525
@example(Decimal("303393.25"), Decimal("19.6"), 36, 1)  # row 3 on 290.775,00: 4.749,325
@example(Decimal("25350.00"), Decimal("29.8"), 1, 1)  # one instalment of 25.979,53 (…,525)
def test_schedule_interest_and_instalment_are_the_exact_contract_rounded_half_up(
    principal, annual_rate, term, months_per_period
):
    assert_schedule_exact(principal, annual_rate, term, months_per_period)


@settings(max_examples=300, deadline=None)
@given(
    annual_rate=rates, months_per_period=months, odd=st.integers(0, 10**6), term=st.integers(1, 24)
)
def test_schedule_on_a_half_cent_rounds_up(annual_rate, months_per_period, odd, term):
    """The first row's interest sits exactly on a half cent: it must round up."""
    principal = half_cent_principal(exact_rate(annual_rate, months_per_period), 2 * odd + 1)
    if principal is None or principal > Decimal("1e15"):
        return
    rows = calc.french_schedule(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        disbursement_date=START,
        months_per_period=months_per_period,
    )
    exact = Fraction(principal) * exact_rate(annual_rate, months_per_period)
    assert (exact * 200).denominator == 1 and (exact * 200) % 2 == 1  # on a half cent
    assert rows[0].interest == half_up(exact) > exact
    assert_schedule_exact(principal, annual_rate, term, months_per_period)


def exact_interest_accrued(principal, annual_rate, term, months_per_period, repayments, as_of):
    """Day by day, independent of loans.calc: each day of period k (previous due date up to the
    next) accrues outstanding × rate per period / days in the period; a period's sum rounds
    half-up to cents; principal repaid on a day stops accruing that day."""
    rate = exact_rate(annual_rate, months_per_period)
    total = Decimal(0)
    for k in range(1, term + 1):
        start = calc.add_months(START, (k - 1) * months_per_period)
        end = calc.add_months(START, k * months_per_period)
        accrued, day = Fraction(0), start
        while day < min(end, as_of):
            outstanding = principal - sum((amt for d, amt in repayments if d <= day), Decimal(0))
            accrued += Fraction(outstanding) * rate / (end - start).days
            day += timedelta(days=1)
        total += half_up(accrued)
    return total


@st.composite
def accrual_cases(draw):
    principal = draw(st.integers(100, 10**9).map(lambda c: Decimal(c).scaleb(-2)))
    annual_rate = draw(rates)
    months_per_period = draw(months)
    term = draw(st.integers(1, 6))
    last = calc.add_months(START, term * months_per_period)
    days = st.integers(1, (last - START).days + 5).map(lambda n: START + timedelta(days=n))
    repayments, left = [], principal
    for day in sorted(draw(st.lists(days, max_size=3))):
        if left <= 0:
            break
        amount = draw(st.integers(1, int(left * 100)).map(lambda c: Decimal(c).scaleb(-2)))
        repayments.append((day, amount))
        left -= amount
    return principal, annual_rate, months_per_period, term, repayments, draw(days)


def accrued(principal, annual_rate, months_per_period, term, repayments, as_of):
    return calc.interest_accrued(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        disbursement_date=START,
        repayments=repayments,
        as_of=as_of,
        months_per_period=months_per_period,
    )


@settings(max_examples=200, deadline=None)
@given(case=accrual_cases())
# 25.350,00 at 29,8 % for a whole month: 629,525 exactly (half-cent).
@example((Decimal("25350.00"), Decimal("29.8"), 1, 1, [], date(2026, 2, 28)))
def test_interest_accrued_is_the_exact_contract_rounded_half_up_per_period(case):
    principal, annual_rate, months_per_period, term, repayments, as_of = case
    assert accrued(
        principal, annual_rate, months_per_period, term, repayments, as_of
    ) == exact_interest_accrued(principal, annual_rate, term, months_per_period, repayments, as_of)


@settings(max_examples=300, deadline=None)
@given(
    annual_rate=rates,
    months_per_period=months,
    odd=st.integers(0, 10**6),
    days_run=st.integers(1, 92),
)
def test_interest_accrued_on_a_half_cent_rounds_up(annual_rate, months_per_period, odd, days_run):
    """Early payoff's interest budget: ``days_run`` days of the first period on a principal whose
    accrual for them sits exactly on a half cent must round up."""
    period_days = (calc.add_months(START, months_per_period) - START).days
    days_run = min(days_run, period_days)
    factor = exact_rate(annual_rate, months_per_period) * days_run / period_days
    principal = half_cent_principal(factor, 2 * odd + 1)
    if principal is None or principal > Decimal("1e15"):
        return
    as_of = START + timedelta(days=days_run)
    got = accrued(principal, annual_rate, months_per_period, 1, [], as_of)
    assert got == half_up(Fraction(principal) * factor) > Fraction(principal) * factor


penalty_rates = rates


@settings(max_examples=300, deadline=None)
@given(unpaid=principals, annual_penalty_rate=penalty_rates, days=st.integers(1, 3660))
def test_penalty_increment_is_exact_rounded_half_up_to_six_places(
    unpaid, annual_penalty_rate, days
):
    exact = Fraction(unpaid) * Fraction(annual_penalty_rate) / 100 * days / 360
    got = calc.penalty_increment(
        unpaid_principal=unpaid, annual_penalty_rate=annual_penalty_rate, days=days
    )
    assert got == half_up(exact, 6)
    assert calc.penalty_charge(got) == half_up(Fraction(got))


@settings(max_examples=300, deadline=None)
@given(
    annual_penalty_rate=penalty_rates,
    days=st.integers(1, 3660),
    odd=st.integers(0, 10**6),
)
def test_penalty_increment_on_half_a_millionth_rounds_up(annual_penalty_rate, days, odd):
    factor = Fraction(annual_penalty_rate) / 100 * days / 360
    unpaid = half_cent_principal(factor, 2 * odd + 1, places=6)
    if unpaid is None or unpaid > Decimal("1e15"):
        return
    exact = Fraction(unpaid) * factor
    got = calc.penalty_increment(
        unpaid_principal=unpaid, annual_penalty_rate=annual_penalty_rate, days=days
    )
    assert got == half_up(exact, 6) > exact


def test_penalty_accrued_night_by_night_charges_what_the_days_run_together_charge():
    # Bs 30 unpaid at 10 % for 3 days: 30 × 10 % × 3 / 360 = 0,025 exactly → 0,03. Adding one
    # day's increment rounded to 6 decimals each night gave 0,008333 × 3 = 0,024999 → 0,02; each
    # night now recomputes the stretch from its start (the nightly job itself, payments and rate
    # changes: tests/loans/test_penalty_stretches.py).
    one_day = calc.penalty_increment(
        unpaid_principal=Decimal("30.00"), annual_penalty_rate=Decimal("10"), days=1
    )
    assert calc.penalty_charge(one_day * 3) == Decimal("0.02")  # what the increments charged
    nights = [
        calc.penalty_accrued_on(
            base_360=calc.ZERO,
            due_date=START,
            stretch_from=None,
            unpaid_principal=Decimal("30.00"),
            annual_penalty_rate=Decimal("10"),
            as_of=START + timedelta(days=night),
        )
        for night in (1, 2, 3)
    ]
    assert nights == [Decimal("0.008333"), Decimal("0.016667"), Decimal("0.025000")]
    nightly = calc.penalty_charge(nights[-1])
    assert nightly == half_up(Fraction(30) * Fraction(10, 100) * 3 / 360) == Decimal("0.03")


@settings(max_examples=300, deadline=None)
@given(
    stretches=st.lists(
        st.tuples(principals, penalty_rates, st.integers(0, 400)), min_size=1, max_size=6
    )
)
def test_penalty_over_stretches_is_the_exact_sum_rounded_once(stretches):
    """Stretches folded into the exact base one after another (as a rate change closes them),
    the last one recomputed to the day: the exact sum rounded once to 6 decimals, so charging
    it never gives less than the exact penalty rounded straight to cents."""
    base, day, exact = calc.ZERO, START, Fraction(0)
    for unpaid, rate, days in stretches[:-1]:
        base = calc.penalty_stretch_360(
            base_360=base, unpaid_principal=unpaid, annual_penalty_rate=rate, days=days
        )
        day += timedelta(days=days)
        exact += Fraction(unpaid) * Fraction(rate) / 100 * days / 360
    unpaid, rate, days = stretches[-1]
    got = calc.penalty_accrued_on(
        base_360=base,
        due_date=START,
        stretch_from=day,
        unpaid_principal=unpaid,
        annual_penalty_rate=rate,
        as_of=day + timedelta(days=days),
    )
    exact += Fraction(unpaid) * Fraction(rate) / 100 * days / 360
    assert Fraction(base) / 360 == exact - Fraction(unpaid) * Fraction(rate) / 100 * days / 360
    assert got == half_up(exact, 6)
    assert calc.penalty_charge(got) >= half_up(exact)
