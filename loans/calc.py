"""Loan arithmetic without the database: schedules, penalty accrual and payment allocation.

Conventions (the member-facing figures depend on them, so they are stated once, here):

* **Schedule — French system, 30/360.** Every period is treated as a twelfth of a year for a
  monthly loan (a quarter for a quarterly one) whatever its calendar length, so a period's
  interest is ``outstanding × annual rate × months / 12``. The fixed instalment is
  ``P·i / (1 − (1 + i)^−n)`` rounded half-up to cents; each row's interest is rounded half-up to
  cents and its principal is the instalment minus that interest. The last row absorbs the
  rounding residue: its principal is whatever is still outstanding, so principals always sum to
  the loan's principal (its instalment may differ from the others by a few cents).
* **Due dates** fall on the disbursement day of month, counted from the disbursement date each
  time and clamped to the month's end (disbursed 31 January → 28/29 February, 31 March, ...).
* **Penalty — actual/360 on overdue principal.** An instalment not fully paid by its due date
  accrues penalty interest from the day after the due date on its unpaid principal at the
  loan's staff-set annual penalty rate: ``unpaid principal × rate × days / 360``. Accrual is
  incremental (from the last day accrued to the new date, rounded half-up per increment), so
  running it again for the same day adds nothing.
* **Application order.** A payment covers the oldest unpaid instalment first and, within an
  instalment, penalty → interest → principal. A partial amount larger than what is due runs on
  into the next instalments in schedule order, their scheduled interest included; only the
  early full payoff waives future interest.
* **Early full payoff** pays everything already due, the interest of the running period pro rata
  by calendar days elapsed, and all outstanding principal; interest of later periods is waived.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from ledger.money import quantize

ZERO = Decimal("0.00")
DAYS_IN_YEAR = 360


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the end of the target month."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


@dataclass(frozen=True)
class ScheduleRow:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    balance_after: Decimal

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


def periodic_rate(annual_rate: Decimal, months_per_period: int) -> Decimal:
    """Annual percentage → rate per period under 30/360 (unrounded)."""
    return annual_rate / Decimal(100) * Decimal(months_per_period) / Decimal(12)


def fixed_instalment(*, principal: Decimal, annual_rate: Decimal, term: int, months: int = 1):
    """The French system's constant instalment, rounded half-up to cents."""
    with localcontext() as ctx:
        ctx.prec = 34
        rate = periodic_rate(annual_rate, months)
        if rate == 0:
            return quantize(principal / term)
        return quantize(principal * rate / (1 - (1 + rate) ** -term))


def french_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    disbursement_date: date,
    months_per_period: int = 1,
) -> list[ScheduleRow]:
    """The amortisation schedule (see the module docstring for the conventions)."""
    instalment = fixed_instalment(
        principal=principal, annual_rate=annual_rate, term=term, months=months_per_period
    )
    rate = periodic_rate(annual_rate, months_per_period)
    rows = []
    balance = principal
    for number in range(1, term + 1):
        interest = quantize(balance * rate)
        part = balance if number == term else min(instalment - interest, balance)
        balance -= part
        rows.append(
            ScheduleRow(
                number=number,
                due_date=add_months(disbursement_date, number * months_per_period),
                principal=part,
                interest=interest,
                balance_after=balance,
            )
        )
    return rows


def penalty_increment(
    *, unpaid_principal: Decimal, annual_penalty_rate: Decimal, days: int
) -> Decimal:
    """Penalty interest for ``days`` days overdue on ``unpaid_principal`` (actual/360)."""
    if days <= 0 or unpaid_principal <= 0 or annual_penalty_rate <= 0:
        return ZERO
    return quantize(
        unpaid_principal * annual_penalty_rate / Decimal(100) * days / Decimal(DAYS_IN_YEAR)
    )


def penalty_accrual_start(*, due_date: date, accrued_through: date | None) -> date:
    """The last day already accounted for: the due date itself, or the last day accrued."""
    if accrued_through is None or accrued_through < due_date:
        return due_date
    return accrued_through


@dataclass
class Due:
    """What one unpaid instalment owes on a given day, per component."""

    instalment_id: int
    number: int
    due_date: date
    period_start: date
    scheduled_interest: Decimal
    penalty: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


@dataclass
class Allocation:
    instalment_id: int
    number: int
    penalty: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    interest_waived: Decimal = ZERO
    settles: bool = False  # the instalment is fully paid by this payment

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


@dataclass
class Breakdown:
    allocations: list[Allocation] = field(default_factory=list)

    @property
    def penalty(self) -> Decimal:
        return sum((a.penalty for a in self.allocations), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((a.interest for a in self.allocations), ZERO)

    @property
    def principal(self) -> Decimal:
        return sum((a.principal for a in self.allocations), ZERO)

    @property
    def interest_waived(self) -> Decimal:
        return sum((a.interest_waived for a in self.allocations), ZERO)

    @property
    def total(self) -> Decimal:
        return self.penalty + self.interest + self.principal


def allocate_amount(dues: Sequence[Due], amount: Decimal) -> Breakdown:
    """Apply ``amount`` oldest instalment first, penalty → interest → principal within each."""
    remaining = amount
    breakdown = Breakdown()
    for due in dues:
        if remaining <= 0:
            break
        allocation = Allocation(instalment_id=due.instalment_id, number=due.number)
        for component in ("penalty", "interest", "principal"):
            part = min(remaining, getattr(due, component))
            setattr(allocation, component, part)
            remaining -= part
        allocation.settles = allocation.total == due.total
        breakdown.allocations.append(allocation)
    return breakdown


def allocate_full(dues: Iterable[Due]) -> Breakdown:
    """Pay each given instalment in full."""
    return Breakdown(
        [
            Allocation(
                instalment_id=due.instalment_id,
                number=due.number,
                penalty=due.penalty,
                interest=due.interest,
                principal=due.principal,
                settles=True,
            )
            for due in dues
        ]
    )


def allocate_payoff(dues: Sequence[Due], as_of: date) -> Breakdown:
    """Early full payoff: due instalments in full, running period's interest pro rata, later
    periods' interest waived, all principal."""
    breakdown = Breakdown()
    running_period_seen = False
    for due in dues:
        allocation = Allocation(
            instalment_id=due.instalment_id,
            number=due.number,
            penalty=due.penalty,
            principal=due.principal,
            settles=True,
        )
        if due.due_date <= as_of:
            allocation.interest = due.interest
        elif not running_period_seen:
            running_period_seen = True
            period_days = (due.due_date - due.period_start).days
            elapsed = max((as_of - due.period_start).days, 0)
            earned = quantize(due.scheduled_interest * elapsed / period_days)
            already_paid = due.scheduled_interest - due.interest
            allocation.interest = min(max(earned - already_paid, ZERO), due.interest)
            allocation.interest_waived = due.interest - allocation.interest
        else:
            allocation.interest_waived = due.interest
        breakdown.allocations.append(allocation)
    return breakdown
