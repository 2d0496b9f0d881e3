"""The audit events this app writes (registered third-party products and the account lookup).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class BeneficiaryEvent(models.TextChoices):
    DELETED = "beneficiary.deleted"
    LOOKUP = "beneficiary.lookup"
    REGISTERED = "beneficiary.registered"
    UPDATED = "beneficiary.updated"
