from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Messages leaving the system: rows written in the business transaction, the Celery relay,
    the gateways. Imports no product app and no ``accounts`` model (scripts/check_imports.py)."""

    name = "outbox"
    verbose_name = _("Outgoing messages")
