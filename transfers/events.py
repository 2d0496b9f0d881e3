"""The audit events this app writes (transfers, co-signatures, limits and fee bands).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class TransferEvent(models.TextChoices):
    COSIGNED = "transfer.cosigned"
    CREATED = "transfer.created"
    SCHEDULED_POSTED = "transfer.scheduled_posted"
    LIMIT_RAISE_REQUESTED = "transfer.limit_raise_requested"
    FEE_BAND_ADDED = "transfers.fee_band_added"
    FEE_BAND_FEE_CHANGED = "transfers.fee_band_fee_changed"
    FEE_BAND_REMOVED = "transfers.fee_band_removed"
