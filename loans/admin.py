"""Staff side of loans: granting (which disburses through the ledger) and the penalty rate.

Adding a loan calls :func:`loans.services.loan_create_and_disburse`; once created, a loan's
amounts and conditions are read-only (the schedule and the ledger depend on them) except the
penalty rate, which goes through :func:`loans.services.loan_penalty_rate_update`.
"""

from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.services import client_ip
from ledger.forms import AmountField
from ledger.models import Account
from progresonet.admin_mixins import ReadOnlyMixin, RefusableSaveMixin
from progresonet.forms import TextField

from . import services
from .exceptions import LoanError
from .models import Instalment, Loan, LoanPayment, PaymentAllocation

# What staff enter when granting a loan and can never change after (the schedule and the
# disbursement posting depend on them); the penalty rate is entered too but stays editable.
_GRANTED = [
    "member",
    "account",
    "product_name",
    "currency",
    "principal",
    "annual_rate",
    "term",
    "frequency",
    "disbursement_date",
]


class LoanAddForm(forms.ModelForm):
    # The portal's one amount reader (ledger.money.parse_money), as in every amount field.
    principal = AmountField(label=capfirst(_("principal")))

    class Meta:
        model = Loan
        fields = [*_GRANTED, "penalty_rate"]
        field_classes = {"product_name": TextField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(
            kind=Account.Kind.MEMBER, status=Account.Status.OPEN
        ).order_by("number")
        self.fields["account"].help_text = _(
            "An open account of the member, in the loan's currency: the principal is credited "
            "to it and payments are taken from it by default."
        )

    def clean_principal(self):
        currency = self.cleaned_data.get("currency")
        if currency:
            self.fields["principal"].check_currency(
                self.data.get(self.add_prefix("principal")), currency
            )
        return self.cleaned_data["principal"]

    def clean(self):
        data = super().clean()
        terms = ["principal", "annual_rate", "penalty_rate", "term", "frequency"]
        if all(data.get(name) is not None for name in terms):
            try:
                services.loan_terms_validate(**{name: data[name] for name in terms})
            except LoanError as exc:
                raise forms.ValidationError(exc.message) from exc
        if data.get("disbursement_date") is not None:
            try:
                services.loan_disbursement_date_validate(
                    disbursement_date=data["disbursement_date"]
                )
            except LoanError as exc:
                self.add_error("disbursement_date", exc.message)
        member, account = data.get("member"), data.get("account")
        if member and account and not account.holder_links.filter(member=member).exists():
            self.add_error("account", _("The account does not belong to this member."))
        if account and data.get("currency") and account.currency != data["currency"]:
            self.add_error("currency", _("The account currency does not match the loan currency."))
        return data


class InstalmentInline(ReadOnlyMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_scroll.html"  # keyboard-scrollable on a phone
    model = Instalment
    extra = 0
    can_delete = False
    fields = [
        "number",
        "due_date",
        "principal",
        "interest",
        "balance_after",
        "status",
        "principal_paid",
        "interest_paid",
        "interest_waived",
        "penalty_accrued",
        "penalty_paid",
        "paid_on",
    ]
    readonly_fields = fields


@admin.register(Loan)
class LoanAdmin(RefusableSaveMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "member",
        "currency",
        "principal",
        "annual_rate",
        "term",
        "disbursement_date",
        "status",
    ]
    list_filter = ["status", "currency", "frequency"]
    search_fields = ["member__document_number", "member__last_names", "member__business_name"]
    autocomplete_fields = ["member"]
    list_select_related = ["member"]
    readonly_fields_after_creation = [
        *_GRANTED,
        "status",
        "disbursement_posting",
        "created_by",
        "created_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = LoanAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return LoanAddForm.Meta.fields
        return [*self.readonly_fields_after_creation, "penalty_rate"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields_after_creation if obj is not None else []

    def get_inlines(self, request, obj):
        return [InstalmentInline] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # a disbursed loan is history in the ledger; it is paid off, not deleted

    def save_model(self, request, obj, form, change):
        if change:
            if "penalty_rate" in form.changed_data:
                new_rate = obj.penalty_rate
                services.loan_penalty_rate_update(
                    actor=request.user,
                    loan=Loan.objects.get(pk=obj.pk),
                    penalty_rate=new_rate,
                    ip_address=client_ip(request),
                )
            return
        data = form.cleaned_data
        try:
            loan = services.loan_create_and_disburse(
                actor=request.user,
                ip_address=client_ip(request),
                # The form's fields are the service's terms, by the same names.
                **{name: data[name] for name in LoanAddForm.Meta.fields},
            )
        except LoanError as exc:
            # The form checked the same rules; a refusal here (e.g. the account was blocked in
            # the meantime) wrote nothing: report it and send staff back to the form.
            self.save_refused(request, obj, exc.message)
            return
        # The admin continues with ``obj`` (log entry, redirect): make it the created loan.
        obj.pk = loan.pk
        obj.disbursement_posting = loan.disbursement_posting
        obj._state.adding = False
        obj._state.db = loan._state.db

    def save_related(self, request, form, formsets, change):
        # The read-only schedule is never saved from here: a full-row save of a stale
        # instalment could undo a payment made meanwhile. Only the services write it; the
        # attributes below are what the admin's change message reads.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class PaymentAllocationInline(ReadOnlyMixin, admin.TabularInline):
    template = "admin/edit_inline/tabular_scroll.html"  # keyboard-scrollable on a phone
    model = PaymentAllocation
    extra = 0
    can_delete = False
    fields = ["instalment", "penalty", "interest", "principal", "interest_waived"]
    readonly_fields = fields


@admin.register(LoanPayment)
class LoanPaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["receipt_number", "loan", "paid_on", "kind", "total", "source_account"]
    list_filter = ["kind", "paid_on"]
    list_select_related = ["loan", "source_account"]
    inlines = [PaymentAllocationInline]
