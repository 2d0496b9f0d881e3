"""The audit events this app writes (cash at the window and exchange rates).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class LedgerEvent(models.TextChoices):
    CASH_DEPOSIT = "ledger.cash_deposit"
    CASH_WITHDRAWAL = "ledger.cash_withdrawal"
    EXCHANGE_RATE_APPROVED = "ledger.exchange_rate_approved"
    EXCHANGE_RATE_PROPOSED = "ledger.exchange_rate_proposed"
    EXCHANGE_RATE_PUBLISHED = "ledger.exchange_rate_published"
    EXCHANGE_RATE_REJECTED = "ledger.exchange_rate_rejected"
