"""The shape of what the member types; the rules themselves live in services and rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from progresonet.forms import TextEmailField, TextField

from . import rules
from .models import Bank, ThirdPartyProduct


class KindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Transaction type"),
        choices=ThirdPartyProduct.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the transaction type.")},
    )


class MemberProductForm(forms.Form):
    """ "a cuenta de terceros": the account number (with "Buscar") and, to continue, an alias."""

    product_type = forms.ChoiceField(
        label=_("Product type"),
        choices=[("savings", pgettext_lazy("cooperative product", "Savings account"))],
    )
    number = TextField(
        label=_("Account number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    alias = TextField(label=_("Alias"), max_length=rules.ALIAS_MAX, required=False)
    email = TextEmailField(label=_("Beneficiary email"), required=False)

    def __init__(self, *args, require_alias: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.require_alias = require_alias

    def clean_number(self) -> str:
        return rules.member_account_number_clean(self.cleaned_data["number"])

    def clean_alias(self) -> str:
        if not self.require_alias:
            return self.cleaned_data.get("alias", "")
        return rules.alias_clean(self.cleaned_data.get("alias", ""))


class OtherBankProductForm(forms.Form):
    """ "a otros bancos": the fields of the guide's "Datos del producto de terceros"."""

    product_type = forms.ChoiceField(
        label=_("Product type"),
        choices=[
            ("savings", pgettext_lazy("other bank product", "Savings account")),
            ("checking", pgettext_lazy("other bank product", "Checking account")),
        ],
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[
            ("BOB", pgettext_lazy("currency choice", "Bolivianos")),
            ("USD", pgettext_lazy("currency choice", "Dollars")),
        ],
    )
    number = TextField(
        label=_("Product number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_name = TextField(label=_("Beneficiary name"), max_length=rules.NAME_MAX)
    document_type = forms.ChoiceField(
        label=_("Document type"),
        choices=[
            ("CI", pgettext_lazy("document choice", "Identity card")),
            ("NIT", pgettext_lazy("document choice", "NIT")),
        ],
    )
    document_number = TextField(label=_("Beneficiary identification number"), max_length=20)
    bank = forms.ModelChoiceField(
        label=_("Bank"),
        queryset=Bank.objects.filter(is_active=True).order_by("name"),
        error_messages={"invalid_choice": _("Choose a bank from the list.")},
    )
    email = TextEmailField(label=_("Beneficiary email"), required=False)
    alias = TextField(label=_("Alias"), max_length=rules.ALIAS_MAX)

    def clean(self) -> dict:
        data = super().clean()
        bank = data.get("bank")
        for field, clean in (
            ("number", lambda v: rules.other_bank_number_clean(v, bank.code if bank else None)),
            ("holder_name", rules.holder_name_clean),
            ("alias", rules.alias_clean),
        ):
            if field in data:
                try:
                    data[field] = clean(data[field])
                except ValidationError as exc:
                    self.add_error(field, exc)
        if "document_number" in data and "document_type" in data:
            try:
                data["document_number"] = rules.document_clean(
                    data["document_type"], data["document_number"]
                )
            except ValidationError as exc:
                self.add_error("document_number", exc)
        return data


class ProductEditForm(forms.Form):
    alias = TextField(label=_("Alias"), max_length=rules.ALIAS_MAX)
    email = TextEmailField(label=_("Beneficiary email"), required=False)

    def clean_alias(self) -> str:
        return rules.alias_clean(self.cleaned_data["alias"])
