from django.db import models
from django.utils.translation import gettext_lazy as _

from progresonet.model_fields import acting_user_field


class AuditEvent(models.Model):
    """One row per change a person made, written in the same transaction as the change.

    ``subject`` names what changed as ``"<app_label>.<model>:<pk>"`` so one table serves every
    app; ``old``/``new`` hold only the fields that changed, never secrets (passwords, PINs).

    ``event`` is any name: each app names its own events, as ``TextChoices`` in its
    ``events.py`` (``AccountEvent``, ``LedgerEvent``, ``TransferEvent``...), because an event
    is a fact of the app that owns it and this app stays plumbing that imports none of them.
    The values are what this table holds, so they never change; tests and staff filter on them.
    """

    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    actor = acting_user_field(_("actor"))
    event = models.CharField(_("event"), max_length=60, db_index=True)
    subject = models.CharField(_("subject"), max_length=120, db_index=True)
    old = models.JSONField(_("old values"), default=dict, blank=True)
    new = models.JSONField(_("new values"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        # The table keeps the name it had when this model lived in accounts: moving the model
        # changed no row and took no lock (see audit/migrations/0001_initial.py).
        db_table = "accounts_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        # Read by staff (the admin's title and breadcrumbs): the Spanish names, not identifiers.
        from .labels import event_label, subject_label

        return f"{event_label(self.event)} — {subject_label(self.subject)}"
