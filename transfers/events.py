"""The audit events this app writes (transfers, co-signatures, limits and fee bands).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class TransferEvent(models.TextChoices):
    COSIGNED = "transfer.cosigned"
    CREATED = "transfer.created"
    DECLINED = "transfer.declined"
    SCHEDULED_POSTED = "transfer.scheduled_posted"
    SCHEDULED = "transfer.scheduled"
    SCHEDULE_PAUSED = "transfer.schedule_paused"
    SCHEDULE_CANCELLED = "transfer.schedule_cancelled"
    SCHEDULE_PAUSED_BY_STAFF = "transfer.schedule_paused_by_staff"
    SCHEDULE_RESUMED = "transfer.schedule_resumed"
    SCHEDULE_AMENDED = "transfer.schedule_amended"
    QR_CREATED = "qr.created"
    QR_REVOKED = "qr.revoked"
    QR_RELEASED = "qr.released"
    LIMIT_LOWERED = "transfer.limit_lowered"
    LIMIT_RAISE_REQUESTED = "transfer.limit_raise_requested"
    FEE_BAND_ADDED = "transfers.fee_band_added"
    FEE_BAND_FEE_CHANGED = "transfers.fee_band_fee_changed"
    FEE_BAND_REMOVED = "transfers.fee_band_removed"
