"""QR codes a member issued to collect money ("Cobrar con QR").

A code names one of the member's accounts through a random ``token`` the server resolves:
the payee account and a fixed amount come from this row, never from the image. A
single-use code is consumed (``status`` → used) in the same transaction as the transfer
that pays it (:func:`transfers.qr.services.qr_code_claim`); paid from a joint account it is
*held* (still ``used``, shown "pending") until the co-holders decide, and released if they
decline or the wait expires (:func:`transfers.qr.services.qr_code_release`); a reusable one stays
active until ``expires_at`` or until the member revokes it. What a code collected is the sum
of the transfers that name it (``Transfer.qr_code``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import currency_field, money_field
from progresonet.model_fields import CreatedAtModel


class QrCodeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    USED = "used", _("Used")
    REVOKED = "revoked", _("Revoked")


class QrCode(CreatedAtModel):
    member = models.ForeignKey("accounts.Member", on_delete=models.PROTECT, related_name="qr_codes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="qr_codes")
    token = models.CharField(_("token"), max_length=32, unique=True)
    currency = currency_field()
    amount = money_field(_("amount"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=25, blank=True)
    single_use = models.BooleanField(_("single use"), default=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=QrCodeStatus.choices, default=QrCodeStatus.ACTIVE
    )
    merchant_name = models.CharField(_("name on the code"), max_length=25)
    payload = models.CharField(_("payload"), max_length=512)
    used_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        app_label = "transfers"
        verbose_name = _("QR code")
        verbose_name_plural = _("QR codes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="qr_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(single_use=True) | models.Q(expires_at__isnull=False),
                name="qr_reusable_expires",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="used") | models.Q(single_use=True),
                name="qr_only_single_use_is_used",
            ),
        ]

    def __str__(self) -> str:
        return f"QR {self.pk} {self.currency} {self.amount or ''}".strip()

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_held(self) -> bool:
        """Used by a joint-account payment still awaiting a co-holder's signature: derived
        from the transfer row (``awaiting_cosign``, annotated by the list selector, or read)."""
        if not (self.single_use and self.status == QrCodeStatus.USED):
            return False
        annotated = getattr(self, "awaiting_cosign", None)
        if annotated is not None:
            return annotated > 0
        from ..models import TransferStatus  # this module is imported by transfers.models

        return self.transfers.filter(status=TransferStatus.PENDING_COSIGN).exists()

    @property
    def state(self) -> str:
        """What the member sees: "expired" is derived from the date and "pending" (held by a
        payment awaiting co-signature) from the transfer, neither is stored."""
        if self.status == QrCodeStatus.ACTIVE and self.is_expired():
            return "expired"
        if self.is_held():
            return "pending"
        return self.status
