from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Audit events (who, when, what, from which client address), the client-address helper and
    the per-address rate limiter on the shared cache (``audit.ratelimit``).
    Imports no product app and no ``accounts`` model (see scripts/check_imports.py)."""

    name = "audit"
    verbose_name = _("Audit")
