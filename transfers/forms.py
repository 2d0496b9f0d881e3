"""The wizard's steps. Forms shape input; pricing and every rule live in transfers.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.forms import AmountField
from ledger.models import Account
from ledger.money import format_money

from .models import TransferType
from .services import debitable_accounts


class AccountChoiceField(forms.ModelChoiceField):
    """Accounts shown the way the guide lists them: product, masked number, balance."""

    def label_from_instance(self, account: Account) -> str:
        return (
            f"{account.get_product_type_display()} {account.masked_number} — "
            f"{format_money(account.balance, account.currency)}"
        )


class SourceForm(forms.Form):
    """Paso 1: "Tipo de transferencia" and "Cuenta origen"."""

    transfer_type = forms.ChoiceField(label=_("Transfer type"))
    source_account = AccountChoiceField(
        label=_("Source account"), queryset=Account.objects.none(), empty_label=None
    )

    def __init__(self, *args, user, transfer_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transfer_type"].choices = [(transfer_type, TransferType(transfer_type).label)]
        self.fields["source_account"].queryset = debitable_accounts(member_id=user.member_id)


class OwnDestinationForm(forms.Form):
    """Paso 2 between own accounts: the member's other accounts."""

    destination_account = AccountChoiceField(
        label=_("Destination account"),
        queryset=Account.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, source: Account | None, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = debitable_accounts(member_id=user.member_id)
        if source is not None:
            accounts = accounts.exclude(pk=source.pk)
        self.fields["destination_account"].queryset = accounts


class DataForm(forms.Form):
    """Paso 3: currency, amount, description, notification, origin and destination of funds."""

    currency = forms.ChoiceField(label=_("Transfer currency"))
    amount = AmountField(label=_("Amount"))
    description = forms.CharField(label=_("Description"), max_length=140)
    notify_email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Optional: we notify the beneficiary at this address."),
    )
    funds_origin = forms.CharField(label=_("Origin of funds"), max_length=200, required=False)
    funds_destination = forms.CharField(
        label=_("Destination of funds"), max_length=200, required=False
    )

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"BOB": _("Bolivianos (BOB)"), "USD": _("US dollars (USD)")}
        self.fields["currency"].choices = [(c, labels[c]) for c in currencies]
