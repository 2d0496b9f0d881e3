"""The audit events this app writes (cash at the window and exchange rates).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`. Each label is the event's name
in the audit admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events


@register_events
class LedgerEvent(models.TextChoices):
    CASH_DEPOSIT = "ledger.cash_deposit", _("Cash deposit")
    CASH_WITHDRAWAL = "ledger.cash_withdrawal", _("Cash withdrawal")
    EXCHANGE_RATE_APPROVED = "ledger.exchange_rate_approved", _("Exchange rate approved")
    EXCHANGE_RATE_PROPOSED = "ledger.exchange_rate_proposed", _("Exchange rate proposed")
    EXCHANGE_RATE_PUBLISHED = "ledger.exchange_rate_published", _("Exchange rate published")
    EXCHANGE_RATE_REJECTED = "ledger.exchange_rate_rejected", _("Exchange rate rejected")
