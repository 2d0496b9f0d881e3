from django.contrib import admin

from progresonet.admin_mixins import ReadOnlyMixin

from .models import Bank, ThirdPartyProduct


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")


@admin.register(ThirdPartyProduct)
class ThirdPartyProductAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only for staff: members register, change and delete their own products (with their
    PIN, audited and notified); the branch only looks, e.g. when a member calls about one."""

    list_display = (
        "alias",
        "owner",
        "kind",
        "holder_name",
        "masked_number",
        "bank",
        "currency",
        "created_at",
        "deleted_at",
    )
    list_filter = ("kind", "currency", "bank")
    search_fields = ("alias", "owner__document_number", "owner__last_names", "holder_name")
    list_select_related = ("owner", "bank")
    exclude = ("idempotency_key",)
    raw_id_fields = ("owner", "account")
