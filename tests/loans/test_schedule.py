"""Schedule arithmetic (loans.calc) against hand-checked figures."""

from datetime import date
from decimal import Decimal

from loans import calc


def test_french_schedule_hand_checked_example():
    """10,000.00 BOB at 12 % a year over 12 monthly instalments, 30/360.

    By hand: i = 0.12 / 12 = 0.01; instalment = 10000 × 0.01 / (1 − 1.01^−12) = 888.4879 → 888.49.
    Row 1: interest 10000 × 0.01 = 100.00, principal 888.49 − 100.00 = 788.49, balance 9211.51.
    Row 2: interest 9211.51 × 0.01 = 92.1151 → 92.12, principal 796.37, balance 8415.14.
    Row 3: interest 84.1514 → 84.15, principal 804.34, balance 7610.80.
    Row 12 absorbs the residue: principal = the 879.67 still owed, interest 8.7967 → 8.80,
    so the last instalment is 888.47.
    """
    rows = calc.french_schedule(
        principal=Decimal("10000.00"),
        annual_rate=Decimal("12"),
        term=12,
        disbursement_date=date(2026, 1, 31),
    )
    assert calc.fixed_instalment(
        principal=Decimal("10000.00"), annual_rate=Decimal("12"), term=12
    ) == Decimal("888.49")
    assert len(rows) == 12
    assert [(r.interest, r.principal, r.balance_after) for r in rows[:3]] == [
        (Decimal("100.00"), Decimal("788.49"), Decimal("9211.51")),
        (Decimal("92.12"), Decimal("796.37"), Decimal("8415.14")),
        (Decimal("84.15"), Decimal("804.34"), Decimal("7610.80")),
    ]
    assert all(r.amount == Decimal("888.49") for r in rows[:11])
    assert (rows[-1].principal, rows[-1].interest) == (Decimal("879.67"), Decimal("8.80"))
    assert rows[-1].balance_after == Decimal("0.00")
    assert sum(r.principal for r in rows) == Decimal("10000.00")
    # Due dates keep the 31st where the month has one and clamp to the month's end otherwise.
    assert [r.due_date for r in rows[:3]] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert rows[-1].due_date == date(2027, 1, 31)


def test_zero_rate_schedule_splits_principal_and_last_absorbs_residue():
    rows = calc.french_schedule(
        principal=Decimal("100.00"),
        annual_rate=Decimal("0"),
        term=3,
        disbursement_date=date(2026, 1, 1),
    )
    assert [r.principal for r in rows] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert all(r.interest == 0 for r in rows)


def test_quarterly_schedule_uses_a_quarter_of_the_annual_rate():
    rows = calc.french_schedule(
        principal=Decimal("1000.00"),
        annual_rate=Decimal("12"),
        term=4,
        disbursement_date=date(2026, 1, 10),
        months_per_period=3,
    )
    assert rows[0].interest == Decimal("30.00")  # 1000 × 12 % × 3/12
    assert rows[1].due_date == date(2026, 7, 10)
    assert sum(r.principal for r in rows) == Decimal("1000.00")


def test_penalty_increment_actual_360():
    # 788.49 × 6 % × 10 / 360 = 1.31415, kept exact; charged as 1.31
    assert calc.penalty_increment(
        unpaid_principal=Decimal("788.49"), annual_penalty_rate=Decimal("6"), days=10
    ) == Decimal("1.314150")
    assert calc.penalty_charge(Decimal("1.314150")) == Decimal("1.31")
    assert calc.penalty_increment(
        unpaid_principal=Decimal("788.49"), annual_penalty_rate=Decimal("6"), days=0
    ) == Decimal("0.00")


def test_allocate_amount_penalty_then_interest_then_principal_oldest_first():
    dues = [
        calc.Due(
            1,
            1,
            date(2026, 2, 1),
            date(2026, 1, 1),
            Decimal("10"),
            Decimal("2.00"),
            Decimal("10.00"),
            Decimal("90.00"),
        ),
        calc.Due(
            2,
            2,
            date(2026, 3, 1),
            date(2026, 2, 1),
            Decimal("9"),
            Decimal("0.00"),
            Decimal("9.00"),
            Decimal("91.00"),
        ),
    ]
    breakdown = calc.allocate_amount(dues, Decimal("110.00"))
    first, second = breakdown.allocations
    assert (first.penalty, first.interest, first.principal, first.settles) == (
        Decimal("2.00"),
        Decimal("10.00"),
        Decimal("90.00"),
        True,
    )
    assert (second.penalty, second.interest, second.principal, second.settles) == (
        Decimal("0.00"),
        Decimal("8.00"),
        Decimal("0.00"),
        False,
    )
    partial = calc.allocate_amount(dues, Decimal("5.00"))
    assert len(partial.allocations) == 1
    assert (partial.allocations[0].penalty, partial.allocations[0].interest) == (
        Decimal("2.00"),
        Decimal("3.00"),
    )
