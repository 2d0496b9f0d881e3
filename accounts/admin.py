from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Member, OutboxMessage, User
from .outbox import outbox_retry


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("document_number", "document_type", "__str__", "kind", "email")
    list_filter = ("kind", "document_type")
    search_fields = ("document_number", "first_names", "last_names", "business_name", "email")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "member", "email", "is_active", "is_staff", "last_login")
    list_select_related = ("member",)
    raw_id_fields = ("member",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Cooperative"), {"fields": ("member",)}),
    )


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


# Registration requests live in their own module to keep this one small.
from .registration import admin as registration_admin  # noqa: E402, F401
