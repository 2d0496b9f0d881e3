"""The audit events this app writes (transfers, co-signatures, limits and fee bands).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`. Each label is the event's name
in the audit admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events


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
