from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Audit events (who, when, what, from which client address), the client-address helper and
    the per-address rate limiter on the shared cache (``audit.ratelimit``).
    Imports no product app and no ``accounts`` model (see scripts/check_imports.py)."""

    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # Each app's events.py registers its events and signing purposes with their Spanish
        # names (audit.registry); importing them all here, as django.contrib.admin does with
        # admin.py, means every name is known before the admin or a __str__ asks for one,
        # whatever the app order.
        autodiscover_modules("events")
