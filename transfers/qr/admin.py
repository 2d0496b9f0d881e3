"""Staff see the QR codes members issued ("Cobrar con QR"), read-only: a member creates and
revokes their own codes (signed, audited); the branch only looks, e.g. when a member calls
about a payment. Imported by ``transfers/admin.py`` (the admin discovers one module per app).

The token and the payload are left out: whoever holds them can show the member's live code as
their own; staff identify a code by its number, and the transfers that paid it name it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ledger.templatetags.money import money
from progresonet.admin_mixins import ReadOnlyMixin

from .models import QrCode


@admin.register(QrCode)
class QrCodeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "pk",
        "created_at",
        "member_name",
        "account_number",
        "amount_text",
        "single_use",
        "status",
        "expires_at",
        "used_at",
    )
    list_display_links = ("pk", "created_at")
    list_filter = ("status", "single_use", "currency")
    search_fields = (
        "member__document_number",
        "member__last_names",
        "account__number",
        "reference",
    )
    list_select_related = ("member", "account")
    date_hierarchy = "created_at"
    fields = (
        "member_name",
        "account_number",
        "creator",
        "amount_text",
        "reference",
        "merchant_name",
        "single_use",
        "status",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    )
    readonly_fields = fields

    @admin.display(description=_("member"), ordering="member__last_names")
    def member_name(self, obj: QrCode) -> str:
        return str(obj.member)

    @admin.display(description=_("account"), ordering="account__number")
    def account_number(self, obj: QrCode) -> str:
        return obj.account.number

    @admin.display(description=_("created by"))
    def creator(self, obj: QrCode) -> str:
        return str(obj.created_by)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_text(self, obj: QrCode) -> str:
        if obj.amount is None:
            return _("Any amount (the payer types it)")
        return money(obj.amount, obj.currency)  # in the money span, like every amount
