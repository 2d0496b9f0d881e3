"""Staff see the ledger read-only; money moves only through ledger.services.

The one write staff make here is a cash deposit or withdrawal at the branch window, which posts
against the vault through :func:`ledger.services.cash_deposit` / ``cash_withdrawal`` (permission
``ledger.post_cash``) and writes an audit row. Exchange rates are staff-editable: a new dated
rate applies from its date on.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.audit import client_ip
from accounts.signing import StaffAuthorisation
from progresonet.forms import TextField

from . import services
from .exceptions import LedgerError
from .forms import AmountField
from .models import Account, ExchangeRate, Holder, Posting, PostingLine


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HolderInline(ReadOnlyMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_scroll.html"  # keyboard-scrollable on a phone
    model = Holder
    extra = 0
    fields = ("member", "role")
    readonly_fields = fields


class CashForm(forms.Form):
    operation = forms.ChoiceField(
        label=_("Operation"),
        choices=[("deposit", _("Cash deposit")), ("withdrawal", _("Cash withdrawal"))],
    )
    amount = AmountField(label=_("Amount"))
    description = TextField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].currency = currency


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "product_type",
        "holder_mode",
        "currency",
        "balance",
        "status",
        "kind",
    )
    list_filter = ("kind", "product_type", "holder_mode", "currency", "status")
    search_fields = ("number", "code", "holder_links__member__document_number")
    inlines = [HolderInline]
    readonly_fields = (
        "number",
        "kind",
        "product_type",
        "holder_mode",
        "currency",
        "name",
        "code",
        "balance",
        "status",
        "opened_at",
        "cash_link",
    )
    exclude = ("holders",)

    @admin.display(description=_("Branch window"))
    def cash_link(self, obj: Account) -> str:
        if obj.kind != Account.Kind.MEMBER:
            return "—"
        url = reverse("admin:ledger_account_cash", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Post a cash deposit or withdrawal"))

    def get_urls(self):
        return [
            path(
                "<int:account_id>/ventanilla/",
                self.admin_site.admin_view(self.cash_view),
                name="ledger_account_cash",
            ),
            *super().get_urls(),
        ]

    def cash_view(self, request: HttpRequest, account_id: int) -> HttpResponse:
        if not request.user.has_perm("ledger.post_cash"):
            raise PermissionDenied
        account = get_object_or_404(Account, pk=account_id, kind=Account.Kind.MEMBER)
        form = CashForm(request.POST or None, currency=account.currency)
        if request.method == "POST" and form.is_valid():
            try:
                services.cash_operation_staff(
                    authorisation=StaffAuthorisation(
                        clerk=request.user, permission="ledger.post_cash"
                    ),
                    account=account,
                    operation=form.cleaned_data["operation"],
                    amount=form.cleaned_data["amount"],
                    description=form.cleaned_data["description"],
                    ip_address=client_ip(request),
                )
            except LedgerError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Posted."))
                return redirect("admin:ledger_account_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Branch window: %(number)s") % {"number": account.number},
            "account": account,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/ledger/account/cash.html", context)


class PostingLineInline(ReadOnlyMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_scroll.html"  # keyboard-scrollable on a phone
    model = PostingLine
    extra = 0
    fields = ("account", "amount", "currency", "balance_after", "description")
    readonly_fields = fields


@admin.register(Posting)
class PostingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "booked_at", "kind", "description", "created_by")
    list_filter = ("kind",)
    search_fields = ("description", "idempotency_key", "lines__account__number")
    date_hierarchy = "booked_at"
    inlines = [PostingLineInline]
    readonly_fields = (
        "kind",
        "description",
        "booked_at",
        "idempotency_key",
        "created_by",
        "reverses",
    )


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "currency", "rate_type", "rate")
    list_filter = ("currency", "rate_type")
    date_hierarchy = "valid_from"

    def has_delete_permission(self, request, obj=None) -> bool:
        # A rate that priced a transfer is evidence; publish a newer one instead.
        return False
