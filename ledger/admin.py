"""Staff see the ledger read-only; money moves only through ledger.services.

The one write staff make here is a cash deposit or withdrawal at the branch window, which posts
against the vault through :func:`ledger.services.cash_deposit` / ``cash_withdrawal`` (permission
``ledger.post_cash``) and writes an audit row. Exchange rates are append-only: staff publish a
new dated rate through :mod:`ledger.rates` (four eyes on a move beyond the threshold).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.signing import StaffAuthorisation
from audit.services import client_ip
from progresonet.admin_mixins import (
    ReadOnlyMixin,
    ReadOnlyTabularInline,
    RefusableSaveMixin,
    ServiceCheckedForm,
)
from progresonet.forms import TextField

from . import rates, services
from .exceptions import ExchangeRateRefused, LedgerError
from .forms import AmountField
from .models import Account, ExchangeRate, Holder, Posting, PostingLine


class HolderInline(ReadOnlyTabularInline):
    model = Holder
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


class PostingLineInline(ReadOnlyTabularInline):
    model = PostingLine
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


class ExchangeRateForm(ServiceCheckedForm, forms.ModelForm):
    """A new rate: the same checks as :func:`ledger.rates.exchange_rate_check`, as field errors."""

    class Meta:
        model = ExchangeRate
        fields = ["currency", "rate_type", "valid_from", "rate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "valid_from" in self.fields:  # absent on the read-only view of a saved rate
            self.fields["valid_from"].initial = timezone.localdate
            self.fields["valid_from"].help_text = _(
                "Today or later. A correction is a new rate, in force from when it is published."
            )

    # The service writes the row; its status and reviewer are not this form's to check.
    service_check = staticmethod(rates.exchange_rate_check)
    service_refusal = ExchangeRateRefused


@admin.register(ExchangeRate)
class ExchangeRateAdmin(RefusableSaveMixin, admin.ModelAdmin):
    """Append-only: staff add rates (through :mod:`ledger.rates`) and approve or reject other
    staff members' proposals; nobody edits or deletes one (the database refuses it too)."""

    form = ExchangeRateForm
    list_display = (
        "valid_from",
        "currency",
        "rate_type",
        "rate",
        "status",
        "proposed_by",
        "reviewed_by",
        "published_at",
    )
    list_filter = ("status", "currency", "rate_type")
    list_select_related = ("proposed_by", "reviewed_by")
    date_hierarchy = "valid_from"
    actions = ["approve_rates", "reject_rates"]
    readonly_fields = (
        "currency",
        "rate_type",
        "valid_from",
        "rate",
        "status",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
        "published_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ExchangeRateForm.Meta.fields

    def has_change_permission(self, request, obj=None) -> bool:
        # A rate that priced a transfer is evidence; publish a newer one instead.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("ledger.approve_exchangerate")

    def save_model(self, request, obj, form, change) -> None:
        try:
            row = rates.exchange_rate_propose(
                actor=request.user,
                currency=obj.currency,
                rate_type=obj.rate_type,
                valid_from=obj.valid_from,
                rate=obj.rate,
                ip_address=client_ip(request),
            )
        except ExchangeRateRefused as exc:
            # The form checked the same rules; another rate published meanwhile can still
            # make this one refused. Nothing was written: say why and return to the form.
            self.save_refused(request, obj, exc.message)
            return
        obj.pk, obj.status = row.pk, row.status
        if row.status == ExchangeRate.Status.PENDING:
            messages.warning(
                request,
                _(
                    "The rate differs from the rate in force by more than %(percent)s %%: it "
                    "is not in force until another staff member approves it."
                )
                % {"percent": (settings.EXCHANGE_RATE_APPROVAL_THRESHOLD * 100).normalize()},
            )

    def _review(self, request, queryset, review, done_message) -> None:
        done = 0
        for rate in queryset.order_by("pk"):
            try:
                review(actor=request.user, rate=rate, ip_address=client_ip(request))
            except ExchangeRateRefused as exc:
                messages.error(request, f"{rate}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, done_message % {"count": done})

    @admin.action(description=_("Approve the selected proposals"), permissions=["approve"])
    def approve_rates(self, request, queryset) -> None:
        self._review(
            request, queryset, rates.exchange_rate_approve, _("Rates approved: %(count)s.")
        )

    @admin.action(description=_("Reject the selected proposals"), permissions=["approve"])
    def reject_rates(self, request, queryset) -> None:
        self._review(request, queryset, rates.exchange_rate_reject, _("Rates rejected: %(count)s."))
