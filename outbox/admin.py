from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import OutboxMessage
from .services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "channel", "recipient", "subject", "status", "attempts", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("recipient", "subject")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_failed"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed messages"), permissions=["change"])
    def retry_failed(self, request, queryset) -> None:
        failed = queryset.filter(status=OutboxMessage.Status.FAILED)
        for message in failed:
            outbox_retry(message=message)
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": len(failed)})
