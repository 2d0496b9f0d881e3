"""Transfers: what a member asked to move, what it cost, and how it ended.

A :class:`Transfer` is the member-facing record; the money itself moves as one ledger
:class:`~ledger.models.Posting` (debit, credit, FX and fee lines). Destination details are
snapshotted on the transfer so a receipt never changes when a beneficiary is edited later.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DecimalRangeField, RangeOperators
from django.db import models
from django.utils.translation import gettext_lazy as _

from ledger.models import currency_field, money_field
from progresonet.model_fields import CreatedAtModel, StatusMachineModel, TimestampedModel


class TransferType(models.TextChoices):
    OWN = "own", _("Between my accounts")
    THIRD_PARTY = "third_party", _("To a third-party account")
    OTHER_BANK = "other_bank", _("To other banks")


class TransferStatus(models.TextChoices):
    PENDING_COSIGN = "pending_cosign", _("Pending co-signature")
    POSTED = "posted", _("Completed")
    SENT = "sent", _("Sent to the other bank")
    SETTLED = "settled", _("Settled")
    REJECTED = "rejected", _("Rejected and reversed")
    DECLINED = "declined", _("Declined by a co-holder")
    EXPIRED = "expired", _("Expired")


def transfer_type_field(**options) -> models.CharField:
    """Which kind of transfer (:class:`TransferType`) a row is about."""
    return models.CharField(
        _("transfer type"), max_length=12, choices=TransferType.choices, **options
    )


# The transfer state machine in one place: status → statuses it may move to.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    TransferStatus.PENDING_COSIGN: {
        TransferStatus.POSTED,
        TransferStatus.SENT,
        TransferStatus.DECLINED,
        TransferStatus.EXPIRED,
    },
    TransferStatus.POSTED: set(),
    TransferStatus.SENT: {TransferStatus.SETTLED, TransferStatus.REJECTED},
    TransferStatus.SETTLED: set(),
    TransferStatus.REJECTED: set(),
    TransferStatus.DECLINED: set(),
    TransferStatus.EXPIRED: set(),
}


class Transfer(StatusMachineModel):
    TRANSITIONS = ALLOWED_TRANSITIONS

    transfer_type = transfer_type_field()
    status = models.CharField(_("status"), max_length=16, choices=TransferStatus.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.PROTECT, related_name="transfers"
    )
    source_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="outgoing_transfers"
    )
    # In-cooperative destination (own account or another member's).
    destination_account = models.ForeignKey(
        "ledger.Account",
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
        null=True,
        blank=True,
    )
    # Other-bank destination, snapshotted from the registered beneficiary.
    destination_bank = models.ForeignKey(
        "beneficiaries.Bank", on_delete=models.PROTECT, null=True, blank=True
    )
    # The registered product the member chose (or registered while transferring), so receipts,
    # the new-beneficiary safeguard and limits can relate transfers to it. Null for own
    # accounts and for a typed, unregistered member account.
    beneficiary = models.ForeignKey(
        "beneficiaries.ThirdPartyProduct",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    destination_number = models.CharField(_("destination number"), max_length=32, blank=True)
    destination_name = models.CharField(_("beneficiary name"), max_length=200, blank=True)
    destination_currency = currency_field(_("destination currency"))
    currency = currency_field(_("transfer currency"))
    amount = money_field(_("amount"))
    debit_amount = money_field(_("amount debited"))
    credit_amount = money_field(_("amount credited"))
    fee_amount = money_field(_("transaction cost"))
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    description = models.CharField(_("description"), max_length=140)
    notify_email = models.EmailField(_("notification email"), blank=True)
    funds_origin = models.CharField(_("origin of funds"), max_length=200, blank=True)
    funds_destination = models.CharField(_("destination of funds"), max_length=200, blank=True)
    usd_equivalent = money_field(_("USD equivalent"))
    bob_equivalent = money_field(_("BOB equivalent"))
    rolling_usd_total = money_field(_("5-day USD total"))
    exceeds_threshold = models.BooleanField(_("exceeds regulatory amount"), default=False)
    idempotency_key = models.CharField(max_length=64, unique=True)
    # The quote fingerprint the initiator signed (transfers.quotes.Quote.fingerprint): a
    # joint account's co-holders sign it too (transfers.summary.cosign_summary).
    signed_fingerprint = models.CharField(_("signed fingerprint"), max_length=64, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    posting = models.OneToOneField(
        "ledger.Posting", on_delete=models.PROTECT, null=True, blank=True, related_name="transfer"
    )
    reversal_posting = models.OneToOneField(
        "ledger.Posting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_transfer",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # The QR code this transfer paid ("Pagar con QR"), if any: what a code collected.
    qr_code = models.ForeignKey(
        "transfers.QrCode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "created_at"], name="transfer_member_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="transfer_amount_pos"),
            models.CheckConstraint(
                condition=models.Q(fee_amount__gte=0), name="transfer_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(source_account=models.F("destination_account")),
                name="transfer_source_not_destination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verification_code} {self.amount} {self.currency}"

    @property
    def total_debit(self):
        """What left the source account: the amount plus the transaction cost."""
        return self.debit_amount + self.fee_amount


class CoSignature(models.Model):
    """A co-holder's decision on a transfer debiting a joint ("conjunta") account."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="cosignatures")
    member = models.ForeignKey("accounts.Member", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("co-signature")
        verbose_name_plural = _("co-signatures")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "member"], name="cosignature_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.member_id} {self.decision}"


class NumRange(models.Func):
    """PostgreSQL's ``numrange(low, high, bounds)``; a NULL ``high`` is unbounded."""

    function = "numrange"
    output_field = DecimalRangeField()


class FeeBand(models.Model):
    """Staff-editable fee schedule: per transfer type, currency and amount band.

    A band holds the cent amounts ``min_amount`` to ``max_amount`` inclusive (no maximum: every
    amount above). Each (transfer type, currency) schedule covers every positive amount exactly
    once: the first band starts at 0.01, each next band starts one cent above the previous
    band's maximum, and the last band has no maximum. The database holds it: an exclusion
    constraint refuses overlaps at once, a deferred constraint trigger refuses gaps, a missing
    start or end and an emptied schedule at commit (migration ``transfers.0005``). Staff change
    bands through :mod:`transfers.fees`, which splits and merges bands so the rule always holds.
    """

    transfer_type = transfer_type_field()
    currency = currency_field()
    min_amount = money_field(_("from amount"))
    max_amount = money_field(_("up to amount"), null=True, blank=True)
    fixed_fee = money_field(_("fixed fee"))

    class Meta:
        verbose_name = _("fee band")
        verbose_name_plural = _("fee schedule")
        ordering = ["transfer_type", "currency", "min_amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer_type", "currency", "min_amount"], name="fee_band_unique"
            ),
            models.CheckConstraint(condition=models.Q(fixed_fee__gte=0), name="fee_not_negative"),
            models.CheckConstraint(
                condition=models.Q(min_amount__gt=0), name="fee_band_min_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_amount__isnull=True)
                | models.Q(max_amount__gte=models.F("min_amount")),
                name="fee_band_min_not_above_max",
            ),
            ExclusionConstraint(
                name="fee_band_no_overlap",
                expressions=[
                    ("transfer_type", RangeOperators.EQUAL),
                    ("currency", RangeOperators.EQUAL),
                    (
                        NumRange(
                            models.F("min_amount"), models.F("max_amount"), models.Value("[]")
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self) -> str:
        upper = self.max_amount if self.max_amount is not None else "∞"
        return f"{self.get_transfer_type_display()} {self.currency} {self.min_amount}–{upper}"


class DailyLimit(models.Model):
    """Institutional daily limit per member and transfer type, in BOB equivalent."""

    transfer_type = transfer_type_field(unique=True)
    amount_bob = money_field(_("daily limit (BOB equivalent)"))

    class Meta:
        verbose_name = _("daily limit")
        verbose_name_plural = _("daily limits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_bob__gte=0),
                name="daily_limit_not_negative",
                violation_error_message=_("A daily limit cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_transfer_type_display()}: Bs {self.amount_bob}"


class MemberDailyLimit(models.Model):
    """A member's own, lower daily limit for one transfer type ("Configuración personal").

    ``amount_bob`` applies now. A raise is not applied at once: it waits in ``pending_amount_bob``
    until ``pending_effective_at`` (``TRANSFER_LIMIT_RAISE_DELAY``), so a hijacked session cannot
    lift the member's own brake and empty the account in the same minute. Lowering applies at
    once and cancels any pending raise. The effective limit is never above the institutional one.
    """

    member = models.ForeignKey(
        "accounts.Member", on_delete=models.CASCADE, related_name="transfer_limits"
    )
    transfer_type = transfer_type_field()
    amount_bob = money_field(_("my daily limit (BOB equivalent)"))
    pending_amount_bob = money_field(_("requested new limit"), null=True, blank=True)
    pending_effective_at = models.DateTimeField(_("new limit applies from"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member daily limit")
        verbose_name_plural = _("member daily limits")
        constraints = [
            models.UniqueConstraint(fields=["member", "transfer_type"], name="member_limit_unique"),
            models.CheckConstraint(
                condition=models.Q(amount_bob__gte=0), name="member_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(pending_amount_bob__isnull=True)
                | models.Q(pending_amount_bob__gte=0),
                name="member_limit_pending_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.transfer_type}: Bs {self.amount_bob}"


class InterbankOrder(CreatedAtModel):
    """An order to the clearing house for a transfer to another bank.

    Written in the transaction that posts the transfer, so it cannot be lost; Celery submits
    and polls it (``transfers.interbank``). pending → submitted → settled | rejected.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending submission")
        SUBMITTED = "submitted", _("Submitted")
        SETTLED = "settled", _("Settled")
        REJECTED = "rejected", _("Rejected")
        # Given up after a programming error or INTERBANK_MAX_ATTEMPTS transient failures:
        # no longer retried; staff decide (transfers.interbank explains the state of the money).
        FAILED = "failed", _("Failed (staff review)")

    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, related_name="interbank_order"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reference = models.CharField(_("clearing reference"), max_length=40, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("interbank order")
        verbose_name_plural = _("interbank orders")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "submitted"]),
                name="interbank_open_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference or self.pk} ({self.status})"

    @property
    def idempotency_reference(self) -> str:
        """The reference sent with every submission of this order: the clearing house answers
        a repeated submission with the first one's id instead of clearing the money twice."""
        return f"PNET-{self.pk:010d}-{self.transfer.verification_code}"


class InterbankOrderEvent(models.Model):
    """Status history of an interbank order, for staff."""

    order = models.ForeignKey(InterbankOrder, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=10, choices=InterbankOrder.Status.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interbank order event")
        verbose_name_plural = _("interbank order events")
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status}"


class ScheduledTransfer(TimestampedModel):
    """A signed standing order ("Transferencia programada"): the order as the member signed it
    once with the PIN (``signed_fingerprint``, see ``transfers.scheduled``) and its schedule.
    Each date becomes a :class:`ScheduledOccurrence`, run by the periodic job."""

    class Kind(models.TextChoices):
        ONCE = "once", _("Once")
        WEEKLY = "weekly", _("Every week")
        MONTHLY = "monthly", _("Every month")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    # The monthly day meaning "the last day of the month".
    LAST_DAY = 0

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scheduled_transfers"
    )
    member = models.ForeignKey(
        "accounts.Member", on_delete=models.PROTECT, related_name="scheduled_transfers"
    )
    transfer_type = transfer_type_field()
    source_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    destination_account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.ThirdPartyProduct",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the member was shown as the destination (masked), for the list and the notices.
    destination_label = models.CharField(_("destination"), max_length=200)
    currency = currency_field(_("transfer currency"))
    amount = money_field(_("amount"))
    description = models.CharField(_("description"), max_length=140)
    notify_email = models.EmailField(_("notification email"), blank=True)
    funds_origin = models.CharField(_("origin of funds"), max_length=200, blank=True)
    funds_destination = models.CharField(_("destination of funds"), max_length=200, blank=True)
    kind = models.CharField(_("frequency"), max_length=8, choices=Kind.choices)
    start_date = models.DateField(_("first date"))
    # Monthly: 1-31 (a shorter month uses its last day), or LAST_DAY.
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    max_occurrences = models.PositiveSmallIntegerField(_("times"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    next_due_date = models.DateField(_("next date"), null=True, blank=True)
    occurrences_made = models.PositiveSmallIntegerField(_("dates run"), default=0)
    consecutive_failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0)
    signed_fingerprint = models.CharField(_("signed fingerprint"), max_length=64)
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("scheduled transfer")
        verbose_name_plural = _("scheduled transfers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The job's claim: active orders by next date.
            models.Index(
                fields=["next_due_date", "id"],
                condition=models.Q(status="active"),
                name="scheduled_due",
            ),
            models.Index(fields=["member", "-created_at"], name="scheduled_member"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="scheduled_amount_pos"),
            models.CheckConstraint(
                condition=models.Q(day_of_month__isnull=True)
                | models.Q(day_of_month__gte=0, day_of_month__lte=31),
                name="scheduled_day_of_month_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(max_occurrences__isnull=True) | models.Q(max_occurrences__gt=0),
                name="scheduled_max_occurrences_pos",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.amount} {self.currency} {self.kind} ({self.status})"


class ScheduledOccurrence(models.Model):
    """One date of a scheduled order and how it ended. Unique per (order, date): a date runs
    at most once whatever the job does."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        POSTED = "posted", _("Done")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held: declarations needed")
        SKIPPED = "skipped", _("Skipped")

    order = models.ForeignKey(
        ScheduledTransfer, on_delete=models.PROTECT, related_name="occurrences"
    )
    due_date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    transfer = models.OneToOneField(
        Transfer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scheduled_occurrence",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    claimed_at = models.DateTimeField(_("run at"))

    class Meta:
        verbose_name = _("scheduled occurrence")
        verbose_name_plural = _("scheduled occurrences")
        ordering = ["-due_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "due_date"], name="scheduled_occurrence_once")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_date} {self.status}"


from .qr.models import QrCode, QrCodeStatus  # noqa: E402,F401  (registered in this app)
