"""The audit events this app writes (disbursements, payments and penalty rates) and what its
PIN signatures are for (a loan payment).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`, and a purpose is stored in each
signature grant and its audit row (:mod:`accounts.signing`). Each label is the name in the audit
admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events, register_purposes


@register_events
class LoanEvent(models.TextChoices):
    DISBURSED = "loan.disbursed", _("Loan disbursed")
    PAID = "loan.paid", _("Loan payment")
    PENALTY_RATE_CHANGED = "loan.penalty_rate_changed", _("Loan penalty rate changed")


@register_purposes
class LoanPurpose(models.TextChoices):
    """What a PIN signature is for: the service that consumes it
    (:func:`loans.services.loan_pay`)."""

    PAY = "loan.pay", _("Pay a loan")
