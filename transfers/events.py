"""The audit events this app writes (transfers, co-signatures, limits and fee bands).

Each app names its own events: an event is a fact of the app that owns it, and the audit app
stays plumbing that stores any name (:func:`audit.services.audit_record` takes ``str``). The
values are what the audit table holds, so they never change; tests and staff filter on them.
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
