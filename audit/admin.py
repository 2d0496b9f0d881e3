"""Staff read the audit trail; nobody writes it here (``audit_record`` writes it, in the same
transaction as the change it records). The Spanish names of what it stores as identifiers are
in :mod:`audit.labels`.
"""

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from progresonet.admin_mixins import ReadOnlyMixin, ValueListFilter

from .labels import event_label, key_label, subject_label, subject_model, value_text
from .models import AuditEvent
from .registry import events


class EventFilter(ValueListFilter):
    title = _("event")
    parameter_name = "event"

    def lookups(self, request, model_admin):
        # The events the apps declare (audit.registry), by their Spanish names.
        return sorted(events.choices(), key=lambda item: str(item[1]))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "event_name", "subject_name", "actor", "ip_address")
    list_filter = (EventFilter,)
    search_fields = ("subject", "event", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "occurred_at"
    fields = (
        "occurred_at",
        "event_name",
        "subject_name",
        "actor",
        "ip_address",
        "old_values",
        "new_values",
    )
    readonly_fields = fields

    @admin.display(description=_("event"), ordering="event")
    def event_name(self, obj: AuditEvent) -> str:
        return event_label(obj.event)

    @admin.display(description=_("subject"), ordering="subject")
    def subject_name(self, obj: AuditEvent) -> str:
        return subject_label(obj.subject)

    @admin.display(description=_("old values"))
    def old_values(self, obj: AuditEvent) -> str:
        return self._values(obj, obj.old)

    @admin.display(description=_("new values"))
    def new_values(self, obj: AuditEvent) -> str:
        return self._values(obj, obj.new)

    def _values(self, obj: AuditEvent, values: dict) -> str:
        if not values:
            return "—"
        model = subject_model(obj.subject)
        rows = []
        for key, value in values.items():
            text = value_text(model, key, value)
            # A value shown as stored (a digest, a number, an address) is evidence, not prose:
            # translate="no" tells browsers and the no-English check not to read it as words.
            as_stored = isinstance(value, str | int | dict | list) and text in (
                str(value),
                json.dumps(value, ensure_ascii=False),
            )
            row = '<dt>{}</dt><dd translate="no">{}</dd>' if as_stored else "<dt>{}</dt><dd>{}</dd>"
            rows.append((format_html(row, key_label(model, key), text),))
        return format_html("<dl>{}</dl>", format_html_join("", "{}", rows))
