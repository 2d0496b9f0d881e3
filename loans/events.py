"""The audit events this app writes (disbursements, payments and penalty rates).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`. Each label is the event's name
in the audit admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events


@register_events
class LoanEvent(models.TextChoices):
    DISBURSED = "loan.disbursed", _("Loan disbursed")
    PAID = "loan.paid", _("Loan payment")
    PENALTY_RATE_CHANGED = "loan.penalty_rate_changed", _("Loan penalty rate changed")
