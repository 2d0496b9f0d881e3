"""The audit events this app writes (cash at the window and exchange rates).

Each app names its own events: an event is a fact of the app that owns it, and the audit app
stays plumbing that stores any name (:func:`audit.services.audit_record` takes ``str``). The
values are what the audit table holds, so they never change; tests and staff filter on them.
"""

from django.db import models


class LedgerEvent(models.TextChoices):
    CASH_DEPOSIT = "ledger.cash_deposit"
    CASH_WITHDRAWAL = "ledger.cash_withdrawal"
    EXCHANGE_RATE_APPROVED = "ledger.exchange_rate_approved"
    EXCHANGE_RATE_PROPOSED = "ledger.exchange_rate_proposed"
    EXCHANGE_RATE_PUBLISHED = "ledger.exchange_rate_published"
