"""The audit events this app writes (disbursements, payments and penalty rates).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class LoanEvent(models.TextChoices):
    DISBURSED = "loan.disbursed"
    PAID = "loan.paid"
    PENALTY_RATE_CHANGED = "loan.penalty_rate_changed"
