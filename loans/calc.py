"""Loan arithmetic without the database: schedules, penalty accrual and payment allocation.

Conventions (the member-facing figures depend on them, so they are stated once, here):

* **Schedule — French system, 30/360.** Every period is treated as a twelfth of a year for a
  monthly loan (a quarter for a quarterly one) whatever its calendar length, so a period's
  interest is ``outstanding × annual rate × months / 12``. The fixed instalment is
  ``P·i / (1 − (1 + i)^−n)`` rounded half-up to cents; each row's interest is rounded half-up to
  cents and its principal is the instalment minus that interest. The last row absorbs the
  rounding residue: its principal is whatever is still outstanding, so principals always sum to
  the loan's principal (its instalment may differ from the others by a few cents).
* **Exact, rounded once.** Every figure is computed exactly (``Fraction``: the periodic rate
  ``annual rate × months / 1200`` has no finite decimal) and rounded once, by the rule stated
  here. Until the rate was exact it was cut to 28 digits, and a figure whose exact value sits on
  a half cent rounded down instead of up (29 of 20.000 random loans at one-decimal rates; e.g.
  Bs 25.350 at 29,8 % for a month, 629,525 → 629,52): a cent in the member's favour. Schedules
  already stored keep their figures (no data migration: the member signed them, and the
  difference is at most one cent less interest in a rare period); only schedules made from now
  on change. The interest budget (:func:`interest_accrued`) is recomputed at each payment, so on
  an old schedule a period on a half cent may now accrue the cent the stored row lacks; the
  charged interest is still capped by the stored row, so no member pays more than their signed
  schedule.
* **Due dates** fall on the disbursement day of month, counted from the disbursement date each
  time and clamped to the month's end (disbursed 31 January → 28/29 February, 31 March, ...).
* **Penalty — actual/360 on overdue principal.** An instalment not fully paid by its due date
  accrues penalty interest from the day after the due date on its unpaid principal at the
  loan's staff-set annual penalty rate: ``unpaid principal × rate × days / 360``. The accrual
  is kept to 6 decimals (rounding a day's penalty to cents made it 0,00 for any unpaid principal
  below Bs 30) and rounded to cents once, when it is charged: half-up, like every interest
  figure of the schedule, and the stored accrual is rounded with it so what was paid never
  exceeds what was accrued (a deviation of at most half a cent either way, once per charge).
  **Exact over stretches.** The days since the last charge fall into *stretches* of constant
  unpaid principal and constant rate (a stretch closes when a payment charges the instalment
  or staff change the rate). The instalment keeps the day its current stretch starts after and
  the exact penalty accrued before it, times 360 (:func:`penalty_stretch_360`: a sum of
  ``principal × rate / 100 × days``, at most 8 decimals, where the penalty itself may have no
  finite decimal); each accrual recomputes the current stretch from its start
  (:func:`penalty_accrued_on`), so the stored figure is the exact sum rounded once to
  6 decimals whatever nights ran or were missed, and running it again for a day changes
  nothing. Adding one day's increment rounded to 6 decimals each night, as it was done until
  then, drifted by up to half a millionth a night and crossed half cents in the member's
  favour (Bs 30 at 10 % for 3 nights: 0,024999 → 0,02 where ``30 × 10 % × 3 / 360 = 0,025``
  → 0,03). Rounding the exact figure to 6 decimals and then to cents never charges less than
  rounding it straight to cents (the half cent is on the 6-decimal grid).
* **Application order.** A payment covers the oldest unpaid instalment first and, within an
  instalment, penalty → interest → principal. A partial amount larger than what is due runs on
  into the next instalments in schedule order.
* **Interest only for days elapsed (prepayment).** Bolivian practice on prepayment: a member who
  pays ahead owes interest only for the days the principal was actually outstanding. So every
  payment's interest is capped by the *interest budget* — the interest accrued on the loan's
  actual outstanding principal from the disbursement to the payment day
  (:func:`interest_accrued`: 30/360 like the schedule, each completed period at
  ``rate × months / 12`` on the principal outstanding in it, the running period pro rata by
  calendar days, each period rounded half-up to cents, nothing after the last due date) minus
  the interest already paid. The budget is spent oldest instalment first; scheduled interest
  above it, on the instalments the payment reaches, is waived (``interest_waived``) — it is
  interest of days that have not run. Principal paid ahead stops accruing from the day paid, and
  budget not spent (accrued but not yet charged) carries over to later instalments.

  Worked example (Bs 12.000 at 14 % over 12 months, disbursed 1 March): on 2 March the member
  pays instalments 1–6. One day of period 1 (31 days) has run on Bs 12.000:
  ``12.000 × 14 % / 12 × 1 / 31 = 4,52`` is all the interest charged; the six instalments'
  principal (Bs 5.791,34) is paid and the rest of their scheduled interest (Bs 668,84 of
  Bs 673,36) is waived. On 3 March the early payoff adds the second day, run on the
  Bs 6.208,66 left: period 1 has now accrued ``(12.000 + 6.208,66) × 14 % / 12 / 31 = 6,85``,
  so 2,33 more. Bs 6,85 of interest in all, where the schedule charged Bs 673,36.
* **Early full payoff** pays everything due (penalty, budget-capped interest) and all
  outstanding principal; interest beyond the budget is waived.
"""

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from ledger.money import quantize

ZERO = Decimal("0.00")
DAYS_IN_YEAR = 360
# Decimal places kept for the accrued penalty (Instalment.penalty_accrued).
PENALTY_PLACES = 6


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


def periodic_rate(annual_rate: Decimal, months_per_period: int) -> Fraction:
    """Annual percentage → rate per period under 30/360, exact.

    A ``Fraction``, not a ``Decimal``: ``14 % / 12`` has no finite decimal, and a rate cut to
    ``Decimal``'s 28 digits (it was divided outside the 34-digit block) made an interest whose
    exact figure sits on a half cent (Bs 25.350 at 29,8 % for a month: 629,525) round down, a
    cent in the member's favour. Every figure below is computed exactly and rounded once, by
    :func:`round_cents`, so it is the contract's figure rounded per the documented rule.
    """
    return Fraction(annual_rate) * months_per_period / 1200


def round_cents(value: Fraction) -> Decimal:
    """An exact figure rounded half-up (away from zero) to cents, like ``ledger.money.quantize``."""
    return _round_half_up(value.numerator, value.denominator, 2)


def interest_on(amount: Decimal, rate: Fraction, *, days: int = 1, of_days: int = 1) -> Decimal:
    """``amount × rate × days / of_days`` rounded half-up to cents, computed exactly."""
    # Whole numbers rather than Fraction arithmetic: the same exact figure, a third of the time.
    numerator, denominator = amount.as_integer_ratio()
    return _round_half_up(
        numerator * rate.numerator * days, denominator * rate.denominator * of_days, 2
    )


def _round_half_up(numerator: int, denominator: int, places: int) -> Decimal:
    """``numerator / denominator`` (denominator > 0) rounded half away from zero."""
    units, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        units += 1
    return Decimal(units if numerator >= 0 else -units).scaleb(-places)


def fixed_instalment(*, principal: Decimal, annual_rate: Decimal, term: int, months: int = 1):
    """The French system's constant instalment, rounded half-up to cents."""
    rate = periodic_rate(annual_rate, months)
    if rate == 0:
        return round_cents(Fraction(principal) / term)
    return round_cents(Fraction(principal) * rate / (1 - (1 + rate) ** -term))


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
        interest = interest_on(balance, rate)
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
    """Penalty interest for ``days`` days overdue on ``unpaid_principal`` (actual/360), exact
    to :data:`PENALTY_PLACES`. One stretch on its own: the accrual sums stretches exact and
    rounds once (:func:`penalty_accrued_on`), never these increments (they drift)."""
    if days <= 0 or unpaid_principal <= 0 or annual_penalty_rate <= 0:
        return ZERO
    principal_n, principal_d = unpaid_principal.as_integer_ratio()
    rate_n, rate_d = annual_penalty_rate.as_integer_ratio()
    return _round_half_up(
        principal_n * rate_n * days, principal_d * rate_d * 100 * DAYS_IN_YEAR, PENALTY_PLACES
    )


def penalty_charge(accrued_unpaid: Decimal) -> Decimal:
    """The cents charged for an exact accrued penalty: rounded once, half-up."""
    return quantize(accrued_unpaid)


# Places of a penalty times 360 (cents × a rate of 4 decimals / 100): exact, see the docstring.
PENALTY_360_PLACES = 8


def penalty_stretch_360(
    *, unpaid_principal: Decimal, annual_penalty_rate: Decimal, days: int, base_360: Decimal = ZERO
) -> Decimal:
    """``base_360`` plus 360 × the penalty of ``days`` days on ``unpaid_principal`` at
    ``annual_penalty_rate`` (``principal × rate / 100 × days``), exact to
    :data:`PENALTY_360_PLACES` (principal in cents, rate to 4 decimals; whole numbers, so no
    ``Decimal`` context can round it)."""
    scale = 10**PENALTY_360_PLACES
    base_n, base_d = base_360.as_integer_ratio()
    units, remainder = divmod(base_n * scale, base_d)
    if days > 0 and unpaid_principal > 0 and annual_penalty_rate > 0:
        principal_n, principal_d = unpaid_principal.as_integer_ratio()
        rate_n, rate_d = annual_penalty_rate.as_integer_ratio()
        stretch, rest = divmod(principal_n * rate_n * days * scale, principal_d * rate_d * 100)
        units, remainder = units + stretch, remainder or rest
    if remainder:  # not a figure the model stores (cents, rate to 4 decimals): refuse it
        raise ValueError(f"penalty on {unpaid_principal} at {annual_penalty_rate} % not exact")
    return Decimal(f"{units}E-{PENALTY_360_PLACES}")  # exact: scaleb would round to the context


def penalty_accrued_on(
    *,
    base_360: Decimal,
    due_date: date,
    stretch_from: date | None,
    unpaid_principal: Decimal,
    annual_penalty_rate: Decimal,
    as_of: date,
) -> Decimal:
    """The accrued penalty on ``as_of``: what accrued before the current stretch (``base_360``,
    times 360) plus the stretch's days after ``stretch_from`` (None: the due date) up to
    ``as_of`` on ``unpaid_principal`` at ``annual_penalty_rate``, exact, rounded once half-up to
    :data:`PENALTY_PLACES` (rounded to cents only when charged: :func:`penalty_charge`)."""
    start = penalty_accrual_start(due_date=due_date, accrued_through=stretch_from)
    total_n, total_d = penalty_stretch_360(
        unpaid_principal=unpaid_principal,
        annual_penalty_rate=annual_penalty_rate,
        days=(as_of - start).days,
        base_360=base_360,
    ).as_integer_ratio()
    return _round_half_up(total_n, total_d * DAYS_IN_YEAR, PENALTY_PLACES)


def penalty_accrual_start(*, due_date: date, accrued_through: date | None) -> date:
    """The last day already accounted for: the due date itself, or the last day accrued
    (also the day a stretch starts after: the due date, or the day it was opened)."""
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
    # Scheduled interest above the interest budget (see cap_interest): waived if paid through.
    interest_excess: Decimal = ZERO

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


def interest_accrued(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    disbursement_date: date,
    repayments: Iterable[tuple[date, Decimal]],
    as_of: date,
    months_per_period: int = 1,
) -> Decimal:
    """Contractual interest accrued on the actual outstanding principal up to ``as_of``.

    ``repayments`` are (day, principal repaid); principal repaid on a day stops accruing from
    that day. Period ``k`` runs from the ``k-1``-th to the ``k``-th due date; the days of it run
    by ``as_of`` weigh ``rate × months / 12 × days / days in the period`` on the principal
    outstanding on each of them; each period is rounded half-up to cents (a completed period
    with no repayment inside it gives exactly the schedule's interest).
    """
    rate = periodic_rate(annual_rate, months_per_period)
    events = sorted(repayments)
    total = ZERO
    for number in range(1, term + 1):
        start = add_months(disbursement_date, (number - 1) * months_per_period)
        if start >= as_of:
            break
        end = add_months(disbursement_date, number * months_per_period)
        stop = min(end, as_of)
        outstanding = principal - sum((amt for day, amt in events if day <= start), ZERO)
        # Principal × days: sums and products of cents and whole days, exact in Decimal.
        cursor, weighted = start, Decimal(0)
        for day, amt in events:
            if start < day < stop:
                weighted += outstanding * (day - cursor).days
                outstanding -= amt
                cursor = day
        weighted += outstanding * (stop - cursor).days
        total += interest_on(weighted, rate, of_days=(end - start).days)
    return total


def cap_interest(dues: Sequence[Due], budget: Decimal) -> list[Due]:
    """The dues with their interest capped by ``budget``, spent oldest instalment first."""
    capped = []
    remaining = max(budget, ZERO)
    for due in dues:
        charged = min(due.interest, remaining)
        remaining -= charged
        capped.append(replace(due, interest=charged, interest_excess=due.interest - charged))
    return capped


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
        if allocation.interest == due.interest:  # its chargeable interest is paid through
            allocation.interest_waived = due.interest_excess
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
                interest_waived=due.interest_excess,
                settles=True,
            )
            for due in dues
        ]
    )


def allocate_payoff(dues: Sequence[Due]) -> Breakdown:
    """Early full payoff: every instalment paid through (use dues capped by
    :func:`cap_interest`: interest of days not yet run is waived)."""
    return allocate_full(dues)
