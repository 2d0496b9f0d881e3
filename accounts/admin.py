from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import client_ip

from .models import Member, SignInAttempt, SmsDevice, TransactionPin, User
from .services.login import user_unlock
from .services.pin import pin_unlock


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("document_number", "document_type", "__str__", "kind", "email")
    list_filter = ("kind", "document_type")
    search_fields = ("document_number", "first_names", "last_names", "business_name", "email")


class LockedFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked")), ("no", _("Not locked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(locked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(locked_at__isnull=True)
        return queryset


class PinLockedFilter(admin.SimpleListFilter):
    title = _("signing blocked")
    parameter_name = "pin_locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Signing blocked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(transaction_pin__locked_at__isnull=False)
        return queryset


def _unlock_each(request, queryset, unlock) -> int:
    """Staff unlock (``user_unlock`` or ``pin_unlock``) of each selected user, audited as the
    clerk; how many were locked."""
    return sum(
        unlock(user=user, actor=request.user, ip_address=client_ip(request)) for user in queryset
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # "Bloqueado" right after the username: the column clerks look for must not fall off the
    # right edge of a 1280 px screen beside the filter sidebar.
    list_display = (
        "username",
        "is_locked_display",
        "member",
        "email",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_select_related = ("member",)
    list_filter = (LockedFilter, PinLockedFilter, *DjangoUserAdmin.list_filter)
    raw_id_fields = ("member",)
    # Last login and date joined are records of what happened, not inputs.
    readonly_fields = (
        "failed_login_count",
        "locked_at",
        "password_changed_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Cooperative"), {"fields": ("member",)}),
        (_("Security"), {"fields": ("failed_login_count", "locked_at", "password_changed_at")}),
    )

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        # Only a superuser edits users. The clerk's work on users is the two unlock actions
        # (their own permissions); editing would let a clerk link his own user to a member's
        # accounts, set anyone's password (Django's password page asks only for this
        # permission), or grant himself staff and superuser status. Clerks see users read-only.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    actions = ["unlock_users", "unlock_signing"]

    @admin.display(boolean=True, description=_("locked"))
    def is_locked_display(self, obj: User) -> bool:
        return obj.is_locked

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("accounts.unlock_user")

    def has_unlock_pin_permission(self, request) -> bool:
        return request.user.has_perm("accounts.unlock_transactionpin")

    @admin.action(description=_("Unlock the selected users"), permissions=["unlock"])
    def unlock_users(self, request, queryset) -> None:
        count = _unlock_each(request, queryset, user_unlock)
        self.message_user(request, _("%(count)d user(s) unlocked.") % {"count": count})

    @admin.action(description=_("Unblock transaction signing (PIN)"), permissions=["unlock_pin"])
    def unlock_signing(self, request, queryset) -> None:
        count = _unlock_each(request, queryset, pin_unlock)
        self.message_user(request, _("Signing unblocked for %(count)d user(s).") % {"count": count})


@admin.register(SignInAttempt)
class SignInAttemptAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "username", "user", "ip_address", "succeeded")
    list_filter = ("succeeded",)
    search_fields = ("username", "ip_address")
    readonly_fields = [f.name for f in SignInAttempt._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class _DeviceAdmin(admin.ModelAdmin):
    """Shows who has which device, never its key or pending code."""

    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed")
    readonly_fields = ("user", "name")

    def has_add_permission(self, request) -> bool:
        return False


# django-otp's own admins show the secret key and a QR code; replace them.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _DeviceAdmin)
admin.site.register(SmsDevice, _DeviceAdmin)


@admin.register(TransactionPin)
class TransactionPinAdmin(admin.ModelAdmin):
    list_display = ("user", "failed_attempts", "locked_at", "changed_at")
    fields = ("user", "failed_attempts", "locked_at", "changed_at")  # never the hash
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Registration requests live in their own module to keep this one small.
from .registration import admin as registration_admin  # noqa: E402, F401
