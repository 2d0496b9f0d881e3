"""The audit events this app writes (transfers, co-signatures, limits and fee bands) and what
its PIN signatures are for (a transfer, a co-signature, a scheduled order, the daily limit).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`, and a purpose is stored in each
signature grant and its audit row (:mod:`accounts.signing`). Each label is the name in the audit
admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events, register_purposes


@register_events
class TransferEvent(models.TextChoices):
    COSIGNED = "transfer.cosigned", _("Transfer co-signed")
    CREATED = "transfer.created", _("Transfer made")
    DECLINED = "transfer.declined", _("Transfer declined by a co-holder")
    SCHEDULED_POSTED = "transfer.scheduled_posted", _("Scheduled transfer made")
    SCHEDULED = "transfer.scheduled", _("Transfer scheduled")
    SCHEDULE_PAUSED = "transfer.schedule_paused", _("Scheduled transfer paused")
    SCHEDULE_CANCELLED = "transfer.schedule_cancelled", _("Scheduled transfer cancelled")
    SCHEDULE_PAUSED_BY_STAFF = (
        "transfer.schedule_paused_by_staff",
        _("Scheduled transfer paused by staff"),
    )
    SCHEDULE_RESUMED = "transfer.schedule_resumed", _("Scheduled transfer resumed")
    SCHEDULE_AMENDED = "transfer.schedule_amended", _("Scheduled transfer amended")
    QR_CREATED = "qr.created", _("QR code created")
    QR_REVOKED = "qr.revoked", _("QR code revoked")
    QR_RELEASED = "qr.released", _("QR code released (its payment was declined or expired)")
    LIMIT_LOWERED = "transfer.limit_lowered", _("Daily limit lowered")
    LIMIT_RAISE_REQUESTED = "transfer.limit_raise_requested", _("Daily limit raise requested")
    FEE_BAND_ADDED = "transfers.fee_band_added", _("Fee band added")
    FEE_BAND_FEE_CHANGED = "transfers.fee_band_fee_changed", _("Fee band fee changed")
    FEE_BAND_REMOVED = "transfers.fee_band_removed", _("Fee band removed")


@register_purposes
class TransferPurpose(models.TextChoices):
    """What a PIN signature is for: the service that consumes it (``transfer_execute`` and
    ``transfer_cosign`` in :mod:`transfers.services`, :mod:`transfers.scheduled`,
    ``member_limit_set`` in :mod:`transfers.limits`)."""

    COSIGN = "transfer.cosign", _("Co-sign a transfer")
    EXECUTE = "transfer.execute", _("Make a transfer")
    LIMIT_SET = "limit.set", _("Set the daily limit")
    SCHEDULE = "transfer.schedule", _("Schedule a transfer")
    SCHEDULE_AMEND = "transfer.schedule.amend", _("Amend a scheduled transfer")
    SCHEDULE_RESUME = "transfer.schedule.resume", _("Resume a scheduled transfer")
