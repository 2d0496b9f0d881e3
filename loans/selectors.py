"""Reads of loans: lists, the debt summary, schedules with on-demand penalty, statements.

Penalty shown on a page is computed for the day it is shown (the stored accrual plus what has
run since the last accrual), so a member sees the same figure the payment service will charge
that day, whether or not the nightly job has run yet. Nothing here writes.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ledger.models import Account
from ledger.selectors import member_accounts_list

from . import calc
from .exceptions import (
    AmountExceedsDebt,
    InstalmentAlreadyPaid,
    InvalidPaymentAmount,
    InvalidSelection,
    LoanNotActive,
    OlderInstalmentPending,
)
from .models import FREQUENCY_MONTHS, Instalment, InstalmentStatus, Loan, LoanPayment

ZERO = calc.ZERO


def member_loans(*, member_id: int | None) -> QuerySet[Loan]:
    """The member's loans with their schedules (two queries however many loans)."""
    if member_id is None:
        return Loan.objects.none()
    return Loan.objects.filter(member_id=member_id).prefetch_related(
        Prefetch("instalments", queryset=Instalment.objects.order_by("number"))
    )


def member_loan_get(*, member_id: int | None, loan_id: int) -> Loan:
    """The member's own loan, or 404: another member's loan looks exactly like a missing one."""
    loan = (
        Loan.objects.filter(member_id=member_id, pk=loan_id)
        .select_related("account")
        .prefetch_related("payments")  # statement and interest budget share one query
        .first()
        if member_id is not None
        else None
    )
    if loan is None:
        raise Http404
    return loan


def penalty_due_on(*, instalment: Instalment, loan: Loan, as_of: date) -> Decimal:
    """Unpaid penalty of ``instalment`` on ``as_of`` in cents, as a payment would charge it:
    the stored accrual, or the current stretch recomputed to ``as_of`` exactly as the nightly
    accrual would (loans.calc, "Penalty"), rounded once (:func:`loans.calc.penalty_charge`).
    """
    if instalment.is_paid:
        return ZERO
    accrued = penalty_accrued_to(instalment=instalment, loan=loan, as_of=as_of)
    if accrued is None:
        accrued = instalment.penalty_accrued
    return calc.penalty_charge(accrued - instalment.penalty_paid)


def penalty_accrued_to(*, instalment: Instalment, loan: Loan, as_of: date) -> Decimal | None:
    """The exact penalty accrued on ``instalment`` through ``as_of``: its current stretch
    recomputed from its start (loans.calc, "Penalty"), so the page, the payment and the nightly
    accrual read one figure whichever nights ran. None when ``as_of`` adds no day to what is
    stored."""
    start = calc.penalty_accrual_start(
        due_date=instalment.due_date, accrued_through=instalment.penalty_accrued_through
    )
    if as_of <= start:
        return None
    return calc.penalty_accrued_on(
        base_360=instalment.penalty_base_360,
        due_date=instalment.due_date,
        stretch_from=instalment.penalty_stretch_from,
        unpaid_principal=instalment.principal_due,
        annual_penalty_rate=loan.penalty_rate,
        as_of=as_of,
    )


def effective_status(*, instalment: Instalment, as_of: date) -> str:
    """The status on ``as_of``: an unpaid instalment past its due date is overdue even before
    the nightly job has marked it."""
    if instalment.status != InstalmentStatus.PAID and instalment.due_date < as_of:
        return InstalmentStatus.OVERDUE
    return instalment.status


@dataclass
class ScheduleLine:
    instalment: Instalment
    status: str
    status_label: str
    penalty: Decimal
    due: Decimal  # penalty + unpaid interest + unpaid principal

    @property
    def is_overdue(self) -> bool:
        return self.status == InstalmentStatus.OVERDUE


@dataclass
class LoanSummary:
    loan: Loan
    as_of: date
    lines: list[ScheduleLine]
    dues: list[calc.Due]

    @property
    def unpaid(self) -> list[ScheduleLine]:
        return [line for line in self.lines if line.status != InstalmentStatus.PAID]

    @property
    def next_line(self) -> ScheduleLine | None:
        unpaid = self.unpaid
        return unpaid[0] if unpaid else None

    @property
    def upcoming_line(self) -> ScheduleLine | None:
        """The first unpaid instalment not yet overdue."""
        return next((line for line in self.unpaid if not line.is_overdue), None)

    @property
    def next_due_date(self) -> date | None:
        """The date by which :attr:`amount_due` is to be paid: the next due date still ahead,
        or the oldest overdue one when nothing is ahead."""
        line = self.upcoming_line or self.next_line
        return line.instalment.due_date if line else None

    @property
    def overdue_lines(self) -> list[ScheduleLine]:
        return [line for line in self.lines if line.is_overdue]

    @property
    def overdue_amount(self) -> Decimal:
        return sum((line.due for line in self.overdue_lines), ZERO)

    @property
    def penalty(self) -> Decimal:
        return sum((line.penalty for line in self.lines), ZERO)

    @property
    def outstanding_principal(self) -> Decimal:
        return sum((line.instalment.principal_due for line in self.unpaid), ZERO)

    @property
    def amount_due(self) -> Decimal:
        """What to pay by the next due date: everything overdue plus the next instalment."""
        upcoming = self.upcoming_line
        return self.overdue_amount + (upcoming.due if upcoming else ZERO)

    @cached_property
    def interest_budget(self) -> Decimal:
        """Interest that may still be charged on ``as_of``: accrued on the actual outstanding
        principal for the days run, minus interest already paid (see :mod:`loans.calc`).
        Uses prefetched payments when present, else one query."""
        return interest_budget(loan=self.loan, as_of=self.as_of)

    @cached_property
    def chargeable_dues(self) -> list[calc.Due]:
        """The unpaid instalments with their interest capped by :attr:`interest_budget`."""
        return calc.cap_interest(self.dues, self.interest_budget)

    @property
    def payoff_amount(self) -> Decimal:
        """Early full payoff on ``as_of`` (see :mod:`loans.calc`)."""
        return calc.allocate_payoff(self.chargeable_dues).total


def interest_budget(*, loan: Loan, as_of: date) -> Decimal:
    payments = [(p.paid_on, p.principal, p.interest) for p in loan.payments.all()]
    accrued = calc.interest_accrued(
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        term=loan.term,
        disbursement_date=loan.disbursement_date,
        repayments=[(day, principal) for day, principal, _ in payments if principal],
        as_of=as_of,
        months_per_period=FREQUENCY_MONTHS[loan.frequency],
    )
    return accrued - sum((interest for _, _, interest in payments), ZERO)


def _period_start(loan: Loan, instalment: Instalment) -> date:
    """The previous due date (the disbursement date for the first instalment)."""
    months = FREQUENCY_MONTHS[loan.frequency]
    return calc.add_months(loan.disbursement_date, (instalment.number - 1) * months)


def loan_summary(*, loan: Loan, as_of: date, instalments: Sequence[Instalment] | None = None):
    """The schedule with statuses and on-demand penalty, and the loan's totals on ``as_of``.

    Uses the prefetched instalments when present (list pages), so it adds no query there.
    """
    if instalments is None:
        instalments = list(loan.instalments.all())
    labels = dict(InstalmentStatus.choices)
    lines, dues = [], []
    for instalment in instalments:
        status = effective_status(instalment=instalment, as_of=as_of)
        penalty = penalty_due_on(instalment=instalment, loan=loan, as_of=as_of)
        line = ScheduleLine(
            instalment=instalment,
            status=status,
            status_label=str(labels[status]),
            penalty=penalty,
            due=ZERO,
        )
        if status != InstalmentStatus.PAID:
            due = calc.Due(
                instalment_id=instalment.pk,
                number=instalment.number,
                due_date=instalment.due_date,
                period_start=_period_start(loan, instalment),
                scheduled_interest=instalment.interest,
                penalty=penalty,
                interest=instalment.interest_due,
                principal=instalment.principal_due,
            )
            line.due = due.total
            dues.append(due)
        lines.append(line)
    return LoanSummary(loan=loan, as_of=as_of, lines=lines, dues=dues)


@dataclass
class CurrencyTotals:
    currency: str
    outstanding_principal: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    penalty: Decimal = ZERO
    amount_due: Decimal = ZERO
    payoff_amount: Decimal = ZERO


@dataclass
class DebtSummary:
    loans: list[LoanSummary] = field(default_factory=list)
    totals: list[CurrencyTotals] = field(default_factory=list)


def member_debts(*, member_id: int | None, as_of: date) -> DebtSummary:
    """Every obligation of the member (active loans) with totals per currency."""
    summaries = [
        loan_summary(loan=loan, as_of=as_of)
        for loan in member_loans(member_id=member_id)
        .filter(status=Loan.Status.ACTIVE)
        .prefetch_related("payments")  # the payoff's interest budget, without a query per loan
    ]
    totals: dict[str, CurrencyTotals] = defaultdict(lambda: CurrencyTotals(currency=""))
    for summary in summaries:
        total = totals[summary.loan.currency]
        total.currency = summary.loan.currency
        total.outstanding_principal += summary.outstanding_principal
        total.overdue_amount += summary.overdue_amount
        total.penalty += summary.penalty
        total.amount_due += summary.amount_due
        total.payoff_amount += summary.payoff_amount
    return DebtSummary(loans=summaries, totals=[totals[c] for c in sorted(totals)])


def payment_breakdown(
    *,
    summary: LoanSummary,
    instalment_ids: Sequence[int] | None = None,
    amount: Decimal | None = None,
    payoff: bool = False,
) -> calc.Breakdown:
    """How a payment would be applied, or a :class:`~loans.exceptions.LoanError` explaining
    why it cannot be. The payment service calls this on the locked rows it is about to change.
    """
    if summary.loan.status != Loan.Status.ACTIVE or not summary.dues:
        raise LoanNotActive()
    if sum(x is not None and x is not False for x in (instalment_ids, amount, payoff)) != 1:
        raise InvalidSelection()
    if payoff:
        return calc.allocate_payoff(summary.chargeable_dues)
    if amount is not None:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise InvalidPaymentAmount()
        if amount != amount.quantize(Decimal("0.01")):
            raise InvalidPaymentAmount()
        owed = sum((due.total for due in summary.chargeable_dues), ZERO)
        if amount > owed:
            raise AmountExceedsDebt(
                _("The amount is larger than the total owed on the loan (%(owed)s).")
                % {"owed": owed}
            )
        return calc.allocate_amount(summary.chargeable_dues, amount)
    selected = _selected_dues(summary, instalment_ids or [])
    return calc.allocate_full(summary.chargeable_dues[: len(selected)])


def payment_fingerprint(*, loan: Loan, source_account_id: int, breakdown: calc.Breakdown) -> str:
    """What the member signs for a loan payment: any change to these figures (penalty accrued
    overnight, a payment made elsewhere) changes it, and the payment service then refuses."""
    parts = [str(loan.pk), str(source_account_id), loan.currency, str(breakdown.total)]
    for a in breakdown.allocations:
        parts.append(
            f"{a.instalment_id}:{a.penalty}:{a.interest}:{a.principal}:{a.interest_waived}"
        )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _selected_dues(summary: LoanSummary, instalment_ids: Sequence[int]) -> list[calc.Due]:
    """The chosen instalments, which must be the oldest unpaid ones, without gaps."""
    wanted = list(instalment_ids)
    if not wanted or len(set(wanted)) != len(wanted):
        raise InvalidSelection()
    by_id = {line.instalment.pk: line for line in summary.lines}
    if any(pk not in by_id for pk in wanted):
        raise InvalidSelection()  # not an instalment of this loan: a tampered list
    if any(by_id[pk].status == InstalmentStatus.PAID for pk in wanted):
        raise InstalmentAlreadyPaid()
    wanted_set = set(wanted)
    oldest = summary.dues[: len(wanted)]
    if {due.instalment_id for due in oldest} != wanted_set:
        first_skipped = next(due for due in oldest if due.instalment_id not in wanted_set)
        raise OlderInstalmentPending(
            _("Pay the oldest pending instalment first: instalment %(number)s is still pending.")
            % {"number": first_skipped.number}
        )
    return oldest


def payment_source_accounts(*, member_id: int | None, currency: str) -> list[Account]:
    """Accounts the member may debit alone in the loan's currency.

    Joint ("conjunta") accounts need every holder's signature for a debit, so they are not
    offered; blocked accounts cannot be debited either.
    """
    return [
        account
        for account in member_accounts_list(member_id=member_id)
        if account.currency == currency
        and account.status == Account.Status.OPEN
        and account.holder_mode != Account.HolderMode.CONJUNTA
    ]


@dataclass
class StatementEntry:
    day: date
    concept: str
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    total: Decimal
    balance: Decimal
    reference: str = ""


def loan_statement(*, loan: Loan) -> list[StatementEntry]:
    """The loan statement (extracto): disbursement then every payment, with the outstanding
    principal after each; one query for the payments."""
    entries = [
        StatementEntry(
            day=loan.disbursement_date,
            concept=_("Disbursement"),
            principal=loan.principal,
            interest=ZERO,
            penalty=ZERO,
            total=loan.principal,
            balance=loan.principal,
        )
    ]
    kinds = dict(LoanPayment.Kind.choices)
    for payment in sorted(loan.payments.all(), key=lambda p: (p.paid_at, p.pk)):
        entries.append(
            StatementEntry(
                day=payment.paid_on,
                concept=_("Payment: %(kind)s") % {"kind": kinds[payment.kind]},
                principal=payment.principal,
                interest=payment.interest,
                penalty=payment.penalty,
                total=payment.total,
                balance=payment.balance_after,
                reference=payment.receipt_number,
            )
        )
    return entries


def member_payment_get(*, member_id: int | None, payment_id: int) -> LoanPayment:
    payment = (
        LoanPayment.objects.filter(pk=payment_id, loan__member_id=member_id)
        .select_related("loan", "source_account")
        .first()
        if member_id is not None
        else None
    )
    if payment is None:
        raise Http404
    return payment
