"""QR forms: shape input only; every rule lives in transfers.qr.services/selectors."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ledger.forms import AmountField
from ledger.models import Account
from ledger.selectors import member_accounts_list
from progresonet.forms import TextField

from ..forms import AccountChoiceField, DataForm, SourceForm
from . import emv


class QrCollectForm(forms.Form):
    """ "Cobrar con QR": the account to collect into, an optional amount and reference."""

    USAGE_CHOICES = [("single", _("Single use")), ("reusable", _("Reusable until a date"))]

    # Radios, as wherever a member picks one of their accounts: a closed select cuts the
    # number and balance on a phone.
    account = AccountChoiceField(
        label=_("Account to collect into"),
        queryset=Account.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    amount = AmountField(
        label=_("Amount"),
        required=False,
        help_text=_("Optional: leave it empty and the payer types the amount."),
    )
    reference = TextField(
        label=_("Reference (Glosa)"),
        max_length=emv.REFERENCE_MAX,
        required=False,
        help_text=_("Optional, up to 25 characters; accents are printed without them."),
    )
    usage = forms.ChoiceField(
        label=_("Use"), choices=USAGE_CHOICES, initial="single", widget=forms.RadioSelect
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Required for a reusable code; a single-use code lasts 30 days by default."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = member_accounts_list(
            member_id=user.member_id, with_holders=False
        ).filter(status=Account.Status.OPEN)
        if self.fields["account"].initial is None:
            self.fields["account"].initial = self.fields["account"].first_pk

    def clean(self):
        data = super().clean()
        account, raw = data.get("account"), self.data.get(self.add_prefix("amount"))
        if account is not None and data.get("amount") is not None:
            try:
                self.fields["amount"].check_currency(raw, account.currency)
            except forms.ValidationError as exc:
                self.add_error("amount", exc)
        if data.get("usage") == "reusable" and not data.get("valid_until"):
            self.add_error(
                "valid_until", _("A reusable code needs a date until which it is valid.")
            )
        return data


class QrPayForm(forms.Form):
    """ "Pagar con QR": a picture of the code, or its text."""

    image = forms.FileField(
        label=_("QR image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        help_text=_("A photo or screenshot (PNG, JPEG or WebP, up to 5 MB)."),
    )
    text = TextField(
        label=_("QR text"),
        max_length=emv.PAYLOAD_MAX,
        required=False,
        help_text=_("Or paste the text of the code (it starts with 000201)."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("image") and not data.get("text"):
            raise forms.ValidationError(_("Upload a picture of the QR code or paste its text."))
        if data.get("image") and data.get("text"):
            raise forms.ValidationError(_("Upload a picture or paste the text, not both."))
        return data


class QrSourceForm(SourceForm):
    """Paso 1 of a QR payment: only accounts in the code's currency can pay it."""

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["source_account"]
        field.queryset = field.queryset.filter(currency=currency)


class ReadOnlyText(forms.Widget):
    """A value the member reads and cannot change, drawn as text that wraps: a disabled input
    cut "Juan Carlos Gomez Mamani X…" at 320 px. transfers/wizard.html shows it as a summary
    row (``field.widget_type == "readonlytext"``), since a ``<label for>`` needs a control.
    Nothing is posted, as from the disabled input before; the field's value is its initial."""

    def render(self, name, value, attrs=None, renderer=None):
        ident = (attrs or {}).get("id")
        return format_html(
            "<span{}>{}</span>", flatatt({"id": ident} if ident else {}), value or ""
        )


class QrDestinationForm(forms.Form):
    """Paso 2 of a QR payment: the payee the code names, shown and never editable."""

    payee = TextField(
        label=_("Destination account"), required=False, disabled=True, widget=ReadOnlyText
    )

    def __init__(self, *args, payee: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payee"].initial = payee


LOCKED_HELP = _("Set by the QR code.")


class QrDataForm(DataForm):
    """Paso 3: the amount and the reference are locked (disabled: the posted value is
    ignored) where the code fixed them; the service checks them again at execution."""

    def __init__(self, *args, lock_amount: bool, lock_description: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if lock_amount:
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = LOCKED_HELP
        if lock_description:
            self.fields["description"].disabled = True
            self.fields["description"].help_text = LOCKED_HELP

    def clean_amount(self):
        if self.fields["amount"].disabled:
            return self.cleaned_data["amount"]
        return super().clean_amount()
