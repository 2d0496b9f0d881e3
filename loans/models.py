"""Loans granted by the cooperative, their amortisation schedules and the payments made.

Design
------
* A :class:`Loan` is created and disbursed in one step by
  :func:`loans.services.loan_create_and_disburse`: the schedule is generated, the principal is
  posted from the ``LOAN_PORTFOLIO`` internal account into the member's savings account, and
  that posting is kept on the loan. Amounts and conditions never change afterwards; only the
  staff-set penalty rate does.
* Each :class:`Instalment` keeps what is owed (principal, interest) and, separately, what has
  been paid per component, plus the penalty accrued while overdue. The status lifecycle lives
  in :data:`INSTALMENT_TRANSITIONS`; :meth:`Instalment.move_to` is the only way to move it.
* A :class:`LoanPayment` is one member payment, one ledger posting; its
  :class:`PaymentAllocation` rows say how much went to each instalment's penalty, interest and
  principal. ``idempotency_key`` is unique, so a double submit pays once.
* Money is ``Decimal(18, 2)``; rates are annual percentages with four decimals.
"""

import secrets
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ledger.models import currency_field, money_field
from progresonet.model_fields import (
    CreatedAtModel,
    InvalidTransition,  # noqa: F401  (raised by Instalment.move_to; callers import it here)
    StatusMachineModel,
    acting_user_field,
)

RATE = {"max_digits": 7, "decimal_places": 4}
# Shown by the admin forms before the database check refuses the same value.
RATE_OUT_OF_RANGE = _("Rates must be between 0 and 100 percent a year.")
ZERO = Decimal("0.00")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


# Months between two instalments for each frequency.
FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


class Loan(CreatedAtModel):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("loan status", "Active")
        PAID_OFF = "paid_off", _("Paid off")

    member = models.ForeignKey(
        "accounts.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="loans"
    )
    product_name = models.CharField(_("product"), max_length=120)
    currency = currency_field()
    principal = money_field(_("principal"))
    annual_rate = models.DecimalField(_("annual interest rate (%)"), **RATE)
    term = models.PositiveSmallIntegerField(_("term (instalments)"))
    disbursement_date = models.DateField(_("disbursement date"))
    frequency = models.CharField(
        _("payment frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    penalty_rate = models.DecimalField(_("annual penalty rate (%)"), **RATE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # The member account the principal was disbursed into; payments come from it by default.
    account = models.ForeignKey(
        "ledger.Account",
        verbose_name=_("disbursement account"),
        on_delete=models.PROTECT,
        related_name="loans",
    )
    disbursement_posting = models.OneToOneField(
        "ledger.Posting",
        verbose_name=_("disbursement posting"),
        on_delete=models.PROTECT,
        related_name="disbursed_loan",
    )
    created_by = acting_user_field()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["disbursement_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(principal__gt=0), name="loan_principal_pos"),
            models.CheckConstraint(condition=models.Q(term__gt=0), name="loan_term_positive"),
            models.CheckConstraint(
                condition=models.Q(annual_rate__gte=0),
                name="loan_rate_not_negative",
                violation_error_message=RATE_OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=models.Q(penalty_rate__gte=0),
                name="loan_penalty_rate_not_negative",
                violation_error_message=RATE_OUT_OF_RANGE,
            ),
            # The same ceilings loans.services.loan_terms_validate applies (MAX_RATE, MAX_TERM),
            # held by the database too: a staff screen or a script cannot store 1000 % a year.
            models.CheckConstraint(
                condition=models.Q(annual_rate__lte=100),
                name="loan_rate_at_most_100",
                violation_error_message=RATE_OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=models.Q(penalty_rate__lte=100),
                name="loan_penalty_rate_at_most_100",
                violation_error_message=RATE_OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=models.Q(term__lte=360),
                name="loan_term_at_most_360",
                violation_error_message=_("The term must be between 1 and 360 instalments."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product_name}"

    @property
    def number(self) -> str:
        """The loan number members quote at the branch."""
        return f"PR-{self.pk:06d}" if self.pk else "PR-?"


class InstalmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    OVERDUE = "overdue", _("Overdue")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")


# The instalment lifecycle in one place. A past-due instalment is "overdue" whether or not part
# of it was paid (the amounts paid say how much); "partially paid" is for one not yet due.
INSTALMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    InstalmentStatus.PENDING: frozenset(
        {InstalmentStatus.OVERDUE, InstalmentStatus.PARTIALLY_PAID, InstalmentStatus.PAID}
    ),
    InstalmentStatus.PARTIALLY_PAID: frozenset(
        {InstalmentStatus.PARTIALLY_PAID, InstalmentStatus.OVERDUE, InstalmentStatus.PAID}
    ),
    InstalmentStatus.OVERDUE: frozenset({InstalmentStatus.OVERDUE, InstalmentStatus.PAID}),
    InstalmentStatus.PAID: frozenset(),
}


class Instalment(StatusMachineModel):
    Status = InstalmentStatus
    TRANSITIONS = INSTALMENT_TRANSITIONS

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment number"))
    due_date = models.DateField(_("due date"))
    principal = money_field(_("principal"))
    interest = money_field(_("interest"))
    # Outstanding principal of the loan once this instalment is paid, as scheduled.
    balance_after = money_field(_("outstanding balance"))
    status = models.CharField(
        _("status"), max_length=16, choices=InstalmentStatus.choices, default="pending"
    )
    principal_paid = money_field(_("principal paid"), default=ZERO)
    interest_paid = money_field(_("interest paid"), default=ZERO)
    # Interest forgiven by an early full payoff (interest of periods not yet run).
    interest_waived = money_field(_("interest waived"), default=ZERO)
    # Exact accrual (6 decimals: a day's penalty on a small unpaid principal is well below a
    # cent); rounded to cents once, when a payment charges it (loans.calc, "Penalty").
    penalty_accrued = models.DecimalField(
        _("penalty accrued"), default=ZERO, max_digits=22, decimal_places=6
    )
    penalty_paid = money_field(_("penalty paid"), default=ZERO)
    # Penalty is accrued up to and including this day; accruing again for it adds nothing.
    penalty_accrued_through = models.DateField(null=True, blank=True)
    # The current stretch of constant unpaid principal and penalty rate runs from the day after
    # this one (None: after the due date); what accrued before it is kept exact, times 360 (a
    # penalty may have no finite decimal; × 360 it has at most 8). Each accrual recomputes the
    # stretch from its start, so penalty_accrued is the exact sum rounded once (loans.calc,
    # "Penalty"); a payment or a change of the penalty rate closes the stretch.
    penalty_stretch_from = models.DateField(null=True, blank=True, editable=False)
    penalty_base_360 = models.DecimalField(
        default=ZERO, max_digits=28, decimal_places=8, editable=False
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="instalment_loan_number"),
            models.CheckConstraint(
                condition=models.Q(
                    principal_paid__gte=0, principal_paid__lte=models.F("principal")
                ),
                name="instalment_principal_paid_range",
            ),
            models.CheckConstraint(
                condition=models.Q(interest_paid__gte=0)
                & models.Q(interest_waived__gte=0)
                & models.Q(interest__gte=models.F("interest_paid") + models.F("interest_waived")),
                name="instalment_interest_paid_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    penalty_paid__gte=0, penalty_paid__lte=models.F("penalty_accrued")
                ),
                name="instalment_penalty_paid_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="instalment_status_due")]

    def __str__(self) -> str:
        return f"{self.loan} #{self.number}"

    @property
    def amount(self) -> Decimal:
        """The scheduled instalment (cuota): principal plus interest."""
        return self.principal + self.interest

    @property
    def principal_due(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def interest_due(self) -> Decimal:
        return self.interest - self.interest_paid - self.interest_waived

    @property
    def penalty_due(self) -> Decimal:
        """Penalty accrued and not yet paid (stored; see selectors for the on-demand figure)."""
        return self.penalty_accrued - self.penalty_paid

    @property
    def is_paid(self) -> bool:
        return self.status == InstalmentStatus.PAID


def new_verification_code() -> str:
    """Twelve random hex digits, as transfers' receipts carry."""
    return secrets.token_hex(6).upper()


class LoanPayment(models.Model):
    class Kind(models.TextChoices):
        INSTALMENTS = "instalments", _("Selected instalments")
        AMOUNT = "amount", _("Partial amount")
        PAYOFF = "payoff", _("Early full payoff")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("payment type"), max_length=12, choices=Kind.choices)
    source_account = models.ForeignKey(
        "ledger.Account",
        verbose_name=_("source account"),
        on_delete=models.PROTECT,
        related_name="loan_payments",
    )
    posting = models.OneToOneField(
        "ledger.Posting", on_delete=models.PROTECT, related_name="loan_payment"
    )
    paid_by = acting_user_field()
    paid_on = models.DateField(_("payment date"))
    paid_at = models.DateTimeField(_("paid at"), auto_now_add=True)
    principal = money_field(_("principal"))
    interest = money_field(_("interest"))
    penalty = money_field(_("penalty interest"))
    total = money_field(_("total"))
    # Outstanding principal of the loan right after this payment (the statement's running balance).
    balance_after = money_field(_("outstanding balance"))
    # One key per confirmation page: a second submit of the same page finds this row.
    idempotency_key = models.CharField(max_length=64, unique=True)
    # Printed on the receipt (HTML and PDF) like a transfer's: random, so a receipt cannot be
    # forged from its number; a branch finds the payment by it.
    verification_code = models.CharField(
        _("verification code"),
        max_length=16,
        unique=True,
        default=new_verification_code,
        editable=False,
    )

    class Meta:
        verbose_name = _("loan payment")
        verbose_name_plural = _("loan payments")
        ordering = ["paid_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gt=0), name="loan_payment_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    total=models.F("principal") + models.F("interest") + models.F("penalty")
                ),
                name="loan_payment_total_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan} {self.paid_on} {self.total}"

    @property
    def receipt_number(self) -> str:
        return f"PP-{self.pk:08d}"


class PaymentAllocation(models.Model):
    """How much of a payment went to one instalment, per component."""

    payment = models.ForeignKey(LoanPayment, on_delete=models.CASCADE, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    principal = money_field(_("principal"))
    interest = money_field(_("interest"))
    penalty = money_field(_("penalty interest"))
    interest_waived = money_field(_("interest waived"), default=ZERO)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "instalment__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "instalment"], name="allocation_payment_instalment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → #{self.instalment_id}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty
