"""Writes of the loans app: disbursement, penalty accrual and payments.

Lock order, everywhere: the loan row, then its instalments (by number), then — inside
``ledger.services.posting_create`` — the ledger accounts by primary key. The nightly accrual
and a member's payment on the same loan therefore queue instead of deadlocking.
"""

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.signing import SignatureReceipt, SignatureRefused, fingerprint_of, signature_consume
from audit.services import audit_record, audited_update
from ledger.codes import InternalAccount
from ledger.exceptions import DuplicatePosting, LedgerError
from ledger.models import Account, Posting
from ledger.money import format_money
from ledger.selectors import internal_account_get
from ledger.services import Line, posting_create
from outbox.services import email_enqueue

from . import calc, selectors
from .events import LoanEvent, LoanPurpose
from .exceptions import (
    CurrencyMismatch,
    InvalidLoanTerms,
    LoanError,
    PaymentAlreadyProcessed,
    PaymentChanged,
    SourceAccountNotAllowed,
)
from .models import (
    FREQUENCY_MONTHS,
    Frequency,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanPayment,
    PaymentAllocation,
)

logger = logging.getLogger(__name__)

MAX_TERM = 360
MAX_RATE = Decimal("100")
# How far back a disbursement date may be recorded. Back-dating exists for loans brought over
# from the branch system (the schedule then starts on the real date); a year covers the
# migration window, and anything older is a typo (2016 for 2026) that would make every
# instalment overdue at once with a year of penalty. A future date is never valid: the
# principal is credited today, so the schedule would charge interest for days before the
# member had the money.
DISBURSEMENT_MAX_DAYS_BACK = 365


def loan_terms_validate(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    penalty_rate: Decimal,
    term: int,
    frequency: str,
) -> None:
    """Raise :class:`~loans.exceptions.InvalidLoanTerms` unless the conditions are grantable."""
    for value in (principal, annual_rate, penalty_rate):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidLoanTerms(_("Amounts and rates must be decimal numbers."))
    if principal <= 0 or principal != principal.quantize(Decimal("0.01")):
        raise InvalidLoanTerms(_("The principal must be positive, in cents."))
    if not (0 <= annual_rate <= MAX_RATE and 0 <= penalty_rate <= MAX_RATE):
        raise InvalidLoanTerms(_("Rates must be between 0 and 100 percent a year."))
    if not (isinstance(term, int) and 1 <= term <= MAX_TERM):
        raise InvalidLoanTerms(_("The term must be between 1 and 360 instalments."))
    if frequency not in FREQUENCY_MONTHS:
        raise InvalidLoanTerms(_("Unknown payment frequency."))


def loan_disbursement_date_validate(*, disbursement_date: date) -> None:
    """Raise :class:`~loans.exceptions.InvalidLoanTerms` unless the date is today or at most
    :data:`DISBURSEMENT_MAX_DAYS_BACK` days before (La Paz calendar)."""
    today = timezone.localdate()
    if not isinstance(disbursement_date, date):
        raise InvalidLoanTerms(_("Enter a valid disbursement date."))
    if disbursement_date > today:
        raise InvalidLoanTerms(_("The disbursement date cannot be later than today."))
    if disbursement_date < today - timedelta(days=DISBURSEMENT_MAX_DAYS_BACK):
        raise InvalidLoanTerms(
            _("The disbursement date cannot be more than %(days)s days ago.")
            % {"days": DISBURSEMENT_MAX_DAYS_BACK}
        )


def loan_create_and_disburse(
    *,
    actor: object | None,
    member,
    account: Account,
    product_name: str,
    currency: str,
    principal: Decimal,
    annual_rate: Decimal,
    term: int,
    disbursement_date: date,
    penalty_rate: Decimal,
    frequency: str = Frequency.MONTHLY,
    ip_address: str | None = None,
) -> Loan:
    """Create a loan, its French-system schedule, and disburse it into the member's account.

    Schedule: fixed instalment, 30/360 day count, interest rounded half-up to cents per row,
    the last instalment absorbs the rounding residue (see :mod:`loans.calc`). The disbursement
    is one ledger posting: ``LOAN_PORTFOLIO`` (debited; the cooperative's asset) → ``account``
    (credited). ``disbursement_date`` may be in the past (loans migrated from the branch system
    or the demo) up to :data:`DISBURSEMENT_MAX_DAYS_BACK` days, never in the future; the
    posting is booked now, when the money actually moves in the ledger. Raises
    :class:`~loans.exceptions.LoanError` with nothing written on bad terms.
    """
    loan_terms_validate(
        principal=principal,
        annual_rate=annual_rate,
        penalty_rate=penalty_rate,
        term=term,
        frequency=frequency,
    )
    loan_disbursement_date_validate(disbursement_date=disbursement_date)
    _disbursement_account_check(member=member, account=account, currency=currency)
    rows = calc.french_schedule(
        principal=principal,
        annual_rate=annual_rate,
        term=term,
        disbursement_date=disbursement_date,
        months_per_period=FREQUENCY_MONTHS[frequency],
    )
    portfolio = internal_account_get(code=InternalAccount.LOAN_PORTFOLIO, currency=currency)
    with transaction.atomic():
        posting = _disbursement_post(
            actor=actor,
            account=account,
            portfolio=portfolio,
            principal=principal,
            product_name=product_name,
        )
        loan = Loan.objects.create(
            member=member,
            product_name=product_name,
            currency=currency,
            principal=principal,
            annual_rate=annual_rate,
            term=term,
            disbursement_date=disbursement_date,
            frequency=frequency,
            penalty_rate=penalty_rate,
            account=account,
            disbursement_posting=posting,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        _schedule_create(loan=loan, rows=rows)
        audit_record(
            actor=actor,
            event=LoanEvent.DISBURSED,
            subject=loan,
            new={
                "member": member.pk,
                "account": account.number,
                "currency": currency,
                "principal": str(principal),
                "annual_rate": str(annual_rate),
                "penalty_rate": str(penalty_rate),
                "term": term,
                "disbursement_date": disbursement_date.isoformat(),
            },
            ip_address=ip_address,
        )
        from .reminders import loan_disbursed_notify

        loan_disbursed_notify(loan=loan)
    return loan


def _disbursement_account_check(*, member, account: Account, currency: str) -> None:
    """The disbursement goes only to an open member account of ``member`` in the loan's
    currency."""
    if currency != account.currency:
        raise CurrencyMismatch()
    if (
        account.kind != Account.Kind.MEMBER
        or account.status != Account.Status.OPEN
        or not account.holder_links.filter(member=member).exists()
    ):
        raise SourceAccountNotAllowed(
            _("The disbursement account must be an open account of the member.")
        )


def _disbursement_post(
    *, actor, account: Account, portfolio: Account, principal: Decimal, product_name: str
) -> Posting:
    """The disbursement posting: ``portfolio`` → the member's ``account``."""
    try:
        return posting_create(
            kind=Posting.Kind.LOAN,
            description=_("Loan disbursement: %(product)s") % {"product": product_name},
            lines=[Line(account.pk, principal), Line(portfolio.pk, -principal)],
            actor=actor,
        )
    except LedgerError as exc:
        raise LoanError(exc.message) from exc


def _schedule_create(*, loan: Loan, rows: Sequence[calc.ScheduleRow]) -> None:
    """The loan's instalments, one per row of its French-system schedule."""
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            balance_after=row.balance_after,
        )
        for row in rows
    )


def loan_penalty_rate_update(
    *, actor: object, loan: Loan, penalty_rate: Decimal, ip_address: str | None = None
) -> Loan:
    """Staff change the penalty rate. Penalty accrued so far stays; the new rate applies from
    the day after the last accrual, which closes each instalment's stretch at the old rate."""
    if not isinstance(penalty_rate, Decimal) or not (0 <= penalty_rate <= MAX_RATE):
        raise InvalidLoanTerms(_("Rates must be between 0 and 100 percent a year."))
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        old = locked.penalty_rate
        if old == penalty_rate:
            return locked
        # Close the accrual at the old rate up to yesterday so the change is not retroactive.
        for instalment in _accrue_loan(loan=locked, as_of=timezone.localdate() - timedelta(days=1)):
            if not instalment.is_paid and instalment.penalty_accrued_through is not None:
                _penalty_stretch_close(instalment, penalty_rate=old)
        audited_update(
            locked,
            actor=actor,
            event=LoanEvent.PENALTY_RATE_CHANGED,
            ip_address=ip_address,
            penalty_rate=penalty_rate,
        )
    return locked


def _accrue_loan(*, loan: Loan, as_of: date) -> list[Instalment]:
    """Accrue penalty and mark overdue on the loan's unpaid instalments due before ``as_of``.

    The caller holds the loan's row lock. Returns all the loan's instalments, locked, in order.
    """
    instalments = list(Instalment.objects.select_for_update().filter(loan=loan).order_by("number"))
    changed = []
    for instalment in instalments:
        if instalment.is_paid or instalment.due_date >= as_of:
            continue
        fields = []
        if instalment.status != InstalmentStatus.OVERDUE:
            instalment.move_to(InstalmentStatus.OVERDUE)
            fields.append("status")
        # The current stretch recomputed from its start, not a day's increment added: the
        # same figure whichever nights ran (loans.calc, "Penalty").
        accrued = selectors.penalty_accrued_to(instalment=instalment, loan=loan, as_of=as_of)
        if accrued is not None:
            instalment.penalty_accrued = accrued
            instalment.penalty_accrued_through = as_of
            fields += ["penalty_accrued", "penalty_accrued_through"]
        if fields:
            instalment.save(update_fields=fields)
            changed.append(instalment)
    return instalments


def _penalty_stretch_close(instalment: Instalment, *, penalty_rate: Decimal) -> None:
    """Fold the instalment's current penalty stretch (at ``penalty_rate``, up to the last day
    accrued) into its exact base and start a new one after that day, and save both."""
    stretch_from = calc.penalty_accrual_start(
        due_date=instalment.due_date, accrued_through=instalment.penalty_stretch_from
    )
    through = calc.penalty_accrual_start(
        due_date=instalment.due_date, accrued_through=instalment.penalty_accrued_through
    )
    instalment.penalty_base_360 = calc.penalty_stretch_360(
        base_360=instalment.penalty_base_360,
        unpaid_principal=instalment.principal_due,
        annual_penalty_rate=penalty_rate,
        days=(through - stretch_from).days,
    )
    instalment.penalty_stretch_from = through
    instalment.save(update_fields=["penalty_base_360", "penalty_stretch_from"])


def loan_accrue_penalties(*, as_of: date, loan: Loan | None = None) -> int:
    """Accrue penalty interest on every overdue instalment up to ``as_of`` (inclusive).

    Idempotent for a date: each instalment remembers the last day accrued, so running it twice
    for the same day (or for an earlier day) adds nothing; and as each run recomputes the
    current stretch from its start, a run after missed nights gives what the nightly runs would.
    Each loan is its own transaction so the nightly run never holds many locks at once. Returns
    how many loans were processed.
    """
    loan_ids = (
        [loan.pk]
        if loan is not None
        else list(
            Loan.objects.filter(
                status=Loan.Status.ACTIVE,
                instalments__due_date__lt=as_of,
                instalments__status__in=[
                    InstalmentStatus.PENDING,
                    InstalmentStatus.PARTIALLY_PAID,
                    InstalmentStatus.OVERDUE,
                ],
            )
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
    for loan_id in loan_ids:
        with transaction.atomic():
            locked = Loan.objects.select_for_update().get(pk=loan_id)
            _accrue_loan(loan=locked, as_of=as_of)
    return len(loan_ids)


def _check_source_account(*, user, loan: Loan, source_account: Account) -> None:
    allowed = selectors.payment_source_accounts(
        member_id=getattr(user, "member_id", None), currency=source_account.currency
    )
    if source_account.pk not in {account.pk for account in allowed}:
        raise SourceAccountNotAllowed()
    if source_account.currency != loan.currency:
        raise CurrencyMismatch()


def loan_pay_fingerprint(
    *,
    loan_id: int,
    source_account_id: int,
    instalment_ids: Sequence[int] | None = None,
    amount: Decimal | None = None,
    payoff: bool = False,
    expected_fingerprint: str | None = None,
) -> str:
    """What the member's PIN signs for :func:`loan_pay`: this loan, this source account,
    this selection (the instalments, the partial amount or the payoff) and the fingerprint of
    the breakdown the member was shown (``expected_fingerprint`` of :func:`loan_pay`)."""
    return fingerprint_of(
        LoanPurpose.PAY,
        loan_id,
        source_account_id,
        ",".join(str(i) for i in sorted(instalment_ids)) if instalment_ids is not None else "-",
        amount if amount is not None else "-",
        bool(payoff),
        expected_fingerprint or "-",
    )


def loan_pay(
    *,
    user,
    loan: Loan,
    source_account: Account,
    idempotency_key: str,
    signature: SignatureReceipt,
    instalment_ids: Sequence[int] | None = None,
    amount: Decimal | None = None,
    payoff: bool = False,
    expected_fingerprint: str | None = None,
    ip_address: str | None = None,
) -> LoanPayment:
    """Pay a loan from one of the member's accounts, in one transaction and one posting.

    Exactly one of: ``instalment_ids`` (the oldest unpaid instalments, paid in full),
    ``amount`` (a partial amount applied oldest instalment first) or ``payoff`` (early full
    payoff). Penalty is accrued to today first; the payment covers penalty → interest →
    principal within each instalment. The posting debits ``source_account`` and credits
    ``LOAN_PORTFOLIO`` (principal), ``INTEREST_INCOME`` (interest) and ``PENALTY_INCOME``
    (penalty). A receipt email is queued in the outbox.

    ``expected_fingerprint`` is :func:`loans.selectors.payment_fingerprint` of the breakdown
    the member was shown and signed; the breakdown is computed again under the loan's lock and
    a difference (penalty accrued since, another payment) raises
    :class:`~loans.exceptions.PaymentChanged` with nothing written. The member's pages always
    pass it.

    Raises :class:`~loans.exceptions.LoanError` with nothing written on any refusal; a repeated
    ``idempotency_key`` raises :class:`~loans.exceptions.PaymentAlreadyProcessed` carrying the
    payment made the first time. ``signature`` is the member's receipt for
    :data:`LoanPurpose.PAY` over :func:`loan_pay_fingerprint` (see :mod:`accounts.signing`).
    """
    if user.member_id is None or loan.member_id != user.member_id:
        raise LoanError(_("The loan was not found."))
    _check_source_account(user=user, loan=loan, source_account=source_account)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            signature_consume(
                signature=signature,
                user=user,
                purpose=LoanPurpose.PAY,
                fingerprint=loan_pay_fingerprint(
                    loan_id=loan.pk,
                    source_account_id=source_account.pk,
                    instalment_ids=instalment_ids,
                    amount=amount,
                    payoff=payoff,
                    expected_fingerprint=expected_fingerprint,
                ),
            )
            locked = Loan.objects.select_for_update().get(pk=loan.pk)
            # Checked under the loan's lock, so a concurrent duplicate waits and then sees it.
            existing = LoanPayment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if existing.loan_id != loan.pk:
                    raise LoanError()
                raise PaymentAlreadyProcessed(existing)
            instalments = _accrue_loan(loan=locked, as_of=today)
            summary = selectors.loan_summary(loan=locked, as_of=today, instalments=instalments)
            breakdown = selectors.payment_breakdown(
                summary=summary, instalment_ids=instalment_ids, amount=amount, payoff=payoff
            )
            if expected_fingerprint is not None and expected_fingerprint != (
                selectors.payment_fingerprint(
                    loan=locked, source_account_id=source_account.pk, breakdown=breakdown
                )
            ):
                raise PaymentChanged()
            payment = _post_payment(
                user=user,
                loan=locked,
                instalments=instalments,
                breakdown=breakdown,
                source_account=source_account,
                idempotency_key=idempotency_key,
                kind=(
                    LoanPayment.Kind.PAYOFF
                    if payoff
                    else LoanPayment.Kind.AMOUNT
                    if amount is not None
                    else LoanPayment.Kind.INSTALMENTS
                ),
                today=today,
                outstanding_before=summary.outstanding_principal,
                ip_address=ip_address,
            )
    except SignatureRefused as exc:
        raise LoanError(exc.message) from exc
    except DuplicatePosting as exc:
        # Lost a race the lock above should prevent; the first payment stands.
        existing = LoanPayment.objects.filter(idempotency_key=idempotency_key).first()
        raise PaymentAlreadyProcessed(existing) from exc
    except IntegrityError as exc:
        logger.error("loan payment refused by the database: %s", exc)
        raise LoanError() from exc
    except LedgerError as exc:
        raise LoanError(exc.message) from exc
    return payment


def _post_payment(
    *,
    user,
    loan: Loan,
    instalments: list[Instalment],
    breakdown: calc.Breakdown,
    source_account: Account,
    idempotency_key: str,
    kind: str,
    today: date,
    outstanding_before: Decimal,
    ip_address: str | None,
) -> LoanPayment:
    """Book a payment whose ``breakdown`` was computed under the loan's lock: the posting, the
    payment row, each instalment's share, the loan's closing, the audit row and the receipt."""
    posting = _payment_post(
        user=user,
        loan=loan,
        breakdown=breakdown,
        source_account=source_account,
        idempotency_key=idempotency_key,
    )
    payment = LoanPayment.objects.create(
        loan=loan,
        kind=kind,
        source_account=source_account,
        posting=posting,
        paid_by=user,
        paid_on=today,
        principal=breakdown.principal,
        interest=breakdown.interest,
        penalty=breakdown.penalty,
        total=breakdown.total,
        balance_after=outstanding_before - breakdown.principal,
        idempotency_key=idempotency_key,
    )
    allocations = _allocations_apply(
        payment=payment, instalments=instalments, breakdown=breakdown, today=today
    )
    if all(instalment.status == InstalmentStatus.PAID for instalment in instalments):
        loan.status = Loan.Status.PAID_OFF
        loan.save(update_fields=["status"])
    audit_record(
        actor=user,
        event=LoanEvent.PAID,
        subject=loan,
        new={
            "payment": payment.pk,
            "kind": kind,
            "source_account": source_account.number,
            "principal": str(payment.principal),
            "interest": str(payment.interest),
            "penalty": str(payment.penalty),
            "total": str(payment.total),
            "instalments": [a.number for a in breakdown.allocations],
        },
        ip_address=ip_address,
    )
    _receipt_email(user=user, loan=loan, payment=payment, allocations=allocations)
    return payment


def _payment_post(
    *,
    user,
    loan: Loan,
    breakdown: calc.Breakdown,
    source_account: Account,
    idempotency_key: str,
) -> Posting:
    """One posting: ``source_account`` → principal, interest and penalty income (non-zero
    parts only), idempotent on the member's key."""
    credits = [
        (InternalAccount.LOAN_PORTFOLIO, breakdown.principal, _("Loan principal")),
        (InternalAccount.INTEREST_INCOME, breakdown.interest, _("Loan interest")),
        (InternalAccount.PENALTY_INCOME, breakdown.penalty, _("Loan penalty interest")),
    ]
    description = _("Loan payment %(number)s") % {"number": loan.number}
    lines = [Line(source_account.pk, -breakdown.total, description)]
    for code, part, label in credits:
        if part:
            account = internal_account_get(code=code, currency=loan.currency)
            lines.append(Line(account.pk, part, f"{label} {loan.number}"))
    return posting_create(
        kind=Posting.Kind.LOAN,
        description=description,
        lines=lines,
        actor=user,
        idempotency_key=f"loan-pay:{idempotency_key}",
    )


_INSTALMENT_PAID_FIELDS = [
    "penalty_accrued",
    "penalty_base_360",
    "penalty_stretch_from",
    "penalty_paid",
    "interest_paid",
    "interest_waived",
    "principal_paid",
    "status",
    "paid_on",
]


def _allocations_apply(
    *,
    payment: LoanPayment,
    instalments: list[Instalment],
    breakdown: calc.Breakdown,
    today: date,
) -> list[PaymentAllocation]:
    """Add each allocation to its instalment (moving it to paid or partially paid) and record
    it as a ``PaymentAllocation`` of ``payment``."""
    by_id = {instalment.pk: instalment for instalment in instalments}
    allocations = []
    for allocation in breakdown.allocations:
        instalment = by_id[allocation.instalment_id]
        # Charging rounds the exact accrual once (loans.calc, "Penalty"); the breakdown was
        # computed from the same rounded figure, so paid never exceeds accrued.
        instalment.penalty_accrued = calc.penalty_charge(instalment.penalty_accrued)
        # The charge rounded the accrual and the unpaid principal may change: a new stretch
        # starts after the last day accrued (today) from the rounded figure.
        instalment.penalty_base_360 = instalment.penalty_accrued * calc.DAYS_IN_YEAR
        instalment.penalty_stretch_from = instalment.penalty_accrued_through
        instalment.penalty_paid += allocation.penalty
        instalment.interest_paid += allocation.interest
        instalment.interest_waived += allocation.interest_waived
        instalment.principal_paid += allocation.principal
        if (
            instalment.principal_due == 0
            and instalment.interest_due == 0
            and not (instalment.penalty_due)
        ):
            instalment.move_to(InstalmentStatus.PAID)
            instalment.paid_on = today
        elif instalment.status == InstalmentStatus.PENDING:
            instalment.move_to(InstalmentStatus.PARTIALLY_PAID)
        instalment.save(update_fields=_INSTALMENT_PAID_FIELDS)
        allocations.append(
            PaymentAllocation(
                payment=payment,
                instalment=instalment,
                principal=allocation.principal,
                interest=allocation.interest,
                penalty=allocation.penalty,
                interest_waived=allocation.interest_waived,
            )
        )
    PaymentAllocation.objects.bulk_create(allocations)
    return allocations


def _receipt_email(
    *, user, loan: Loan, payment: LoanPayment, allocations: list[PaymentAllocation]
) -> None:
    """Queue the receipt to the member's email (the paying user's when the member has none)."""
    recipient = loan.member.email or getattr(user, "email", "")
    if not recipient:
        return
    currency = loan.currency
    email_enqueue(
        to=recipient,
        subject=_("ProgresoNet: loan payment receipt %(number)s")
        % {"number": payment.receipt_number},
        template="loans/email/payment_receipt",
        context={
            "payment": payment,
            "loan": loan,
            "allocations": allocations,
            "total": format_money(payment.total, currency),
            "principal": format_money(payment.principal, currency),
            "interest": format_money(payment.interest, currency),
            "penalty": format_money(payment.penalty, currency),
            "balance": format_money(payment.balance_after, currency),
        },
    )
