"""The audit events this app writes (disbursements, payments and penalty rates).

Each app names its own events: an event is a fact of the app that owns it, and the audit app
stays plumbing that stores any name (:func:`audit.services.audit_record` takes ``str``). The
values are what the audit table holds, so they never change; tests and staff filter on them.
"""

from django.db import models


class LoanEvent(models.TextChoices):
    DISBURSED = "loan.disbursed"
    PAID = "loan.paid"
    PENALTY_RATE_CHANGED = "loan.penalty_rate_changed"
