"""The wizard's steps. Forms shape input; pricing and every rule live in transfers.services."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from beneficiaries import rules
from beneficiaries.models import ThirdPartyProduct
from beneficiaries.selectors import products_list
from ledger.forms import AmountField
from ledger.models import Account
from ledger.money import format_money
from ledger.templatetags.money import money
from progresonet.forms import DeclarationField, TextEmailField, TextField

from .models import TransferType
from .services import debitable_accounts


class AccountChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices from the field's accounts, read once (:meth:`AccountChoiceField.accounts`)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for account in self.field.accounts():
            yield self.choice(account)

    def __len__(self) -> int:
        return len(self.field.accounts()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.accounts())


class AccountChoiceField(forms.ModelChoiceField):
    """The member's own accounts the way the guide lists them: product, number (in full: they
    are the member's own), balance. As radio buttons the balance is in a money span; an
    ``<option>`` cannot hold markup, so a select gets plain text.

    The accounts are read once per form, for the widget and the validation alike: Django's
    field reads its queryset again for a select's ``required`` attribute, for the options and
    for ``clean`` (three queries), and the wizard validates the same step several times per
    request; it may hand the form the list it already read (``accounts`` of
    :class:`SourceForm` and :class:`OwnDestinationForm`). A new queryset drops the list."""

    iterator = AccountChoiceIterator
    _accounts: list[Account] | None = None
    _queryset_later = None

    def _get_queryset(self):
        if self._queryset_later is not None:
            build, self._queryset_later = self._queryset_later, None
            # The accounts given with it stay: they were read from this very queryset.
            super()._set_queryset(build())
        return super()._get_queryset()

    def _set_queryset(self, queryset) -> None:
        self._queryset_later = None
        super()._set_queryset(queryset)
        self._accounts = None

    queryset = property(_get_queryset, _set_queryset)

    def queryset_later(self, build) -> None:
        """The field's queryset, built by ``build()`` only if something reads it (a subclass
        narrowing it, say): when the form is given the accounts, nothing on the wizard's path
        does, and building it was a good part of each step's CPU (the wizard builds the
        earlier steps' forms again at every later step). Call :meth:`accounts_set` after."""
        self._queryset_later = build

    def accounts(self) -> list[Account]:
        if self._accounts is None:
            self._accounts = list(self.queryset)
        return self._accounts

    def accounts_set(self, accounts: list[Account]) -> None:
        """Choices already read from this field's queryset in the same request."""
        self._accounts = list(accounts)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Account):
            value = value.pk
        for account in self.accounts():
            if str(account.pk) == str(value):
                return account
        raise forms.ValidationError(
            self.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )

    def first_pk(self) -> int | None:
        """The first account's id: a callable ``initial`` that preselects it, as a select did
        by showing its first option. Read when the page is drawn, after a subclass narrowed
        the queryset (:class:`transfers.qr.forms.QrSourceForm`)."""
        accounts = self.accounts()
        return accounts[0].pk if accounts else None

    def label_from_instance(self, account: Account) -> str:
        if isinstance(self.widget, forms.RadioSelect):
            # The balance sits beside the text as its own item (portal.css): no "—" between.
            return format_html(
                "{} {} {}",
                account.get_product_type_display(),
                account.number,
                money(account.balance, account.currency),
            )
        return (
            f"{account.get_product_type_display()} {account.number} — "
            f"{format_money(account.balance, account.currency)}"
        )


class SourceForm(forms.Form):
    """Paso 1: "Tipo de transferencia" and "Cuenta origen". ``accounts``: the member's
    :func:`debitable_accounts`, when the caller already read them in this request.

    The accounts are radios, not a select: a closed select cut "Caja de Ahorros 1011000079 —
    Bs 23.167,76" at 320 px, and the member could not tell the accounts or their balances
    apart. The first one is preselected, as the select showed it, unless the caller's
    ``initial`` names another."""

    transfer_type = forms.ChoiceField(label=_("Transfer type"))
    source_account = AccountChoiceField(
        label=_("Source account"),
        queryset=Account.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, transfer_type: str, accounts: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["transfer_type"].choices = [(transfer_type, TransferType(transfer_type).label)]
        field = self.fields["source_account"]
        member_id = user.member_id
        if accounts is not None:
            field.queryset_later(lambda: debitable_accounts(member_id=member_id))
            field.accounts_set(accounts)
        else:
            field.queryset = debitable_accounts(member_id=member_id)
        if field.initial is None:
            field.initial = field.first_pk


class OwnDestinationForm(forms.Form):
    """Paso 2 between own accounts: the member's other accounts (``accounts`` as in
    :class:`SourceForm`)."""

    destination_account = AccountChoiceField(
        label=_("Destination account"),
        queryset=Account.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, source: Account | None, accounts: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        member_id, source_id = user.member_id, source.pk if source is not None else None

        def queryset():
            accounts = debitable_accounts(member_id=member_id)
            return accounts.exclude(pk=source_id) if source_id is not None else accounts

        field = self.fields["destination_account"]
        if accounts is not None:
            field.queryset_later(queryset)
            field.accounts_set([a for a in accounts if source_id is None or a.pk != source_id])
        else:
            field.queryset = queryset()


class DataForm(forms.Form):
    """Paso 3: currency, amount, description, notification, origin and destination of funds."""

    currency = forms.ChoiceField(label=_("Transfer currency"))
    amount = AmountField(label=_("Amount"))
    description = TextField(label=_("Description"), max_length=140)
    notify_email = TextEmailField(
        label=_("Email"),
        required=False,
        help_text=_("Optional: we notify the beneficiary at this address."),
    )
    funds_origin = DeclarationField(label=_("Origin of funds"), max_length=200, required=False)
    funds_destination = DeclarationField(
        label=_("Destination of funds"), max_length=200, required=False
    )

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"BOB": _("Bolivianos (BOB)"), "USD": _("US dollars (USD)")}
        self.fields["currency"].choices = [(c, labels[c]) for c in currencies]

    def clean_amount(self):
        # "$us 5" in a boliviano transfer: the symbol must match the currency chosen here.
        currency = self.cleaned_data.get("currency")
        if currency:
            self.fields["amount"].check_currency(self.data.get(self.add_prefix("amount")), currency)
        return self.cleaned_data["amount"]


class ProductChoiceField(forms.ModelChoiceField):
    """Registered products as the guide's step-2 table lists them: type, holder, alias, masked
    number, currency."""

    def label_from_instance(self, product: ThirdPartyProduct) -> str:
        return " — ".join(
            [
                product.get_product_type_display(),
                product.holder_name,
                product.alias,
                product.masked_number,
                product.currency,
            ]
        )


class ProductDestinationForm(forms.Form):
    """Paso 2 to third parties and other banks: "Producto registrado".

    Third parties may instead type a cooperative account number ("Buscar" shows the masked
    holder) and tick "registrar socio" to register it with an alias while transferring.
    """

    product = ProductChoiceField(
        label=_("Registered product"),
        queryset=ThirdPartyProduct.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, user, source: Account | None, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["product"].queryset = products_list(owner_id=user.member_id).filter(kind=kind)
        if kind == ThirdPartyProduct.Kind.MEMBER:
            self.fields["number"] = TextField(
                label=_("Account number"), max_length=20, required=False
            )
            self.fields["register"] = forms.BooleanField(
                label=_("Register member"),
                required=False,
                help_text=_("Save this account in your third-party products."),
            )
            self.fields["alias"] = TextField(
                label=_("Alias"), max_length=rules.ALIAS_MAX, required=False
            )
        else:
            self.fields["product"].required = True

    def clean(self):
        data = super().clean()
        if self.kind != ThirdPartyProduct.Kind.MEMBER or self.errors:
            return data
        product, number = data.get("product"), (data.get("number") or "").strip()
        if product is None and not number:
            raise forms.ValidationError(_("Choose a registered product or type an account number."))
        if product is not None and number:
            raise forms.ValidationError(
                _("Choose a registered product or type an account number, not both.")
            )
        if number:
            try:
                data["number"] = rules.member_account_number_clean(number)
            except forms.ValidationError as exc:
                self.add_error("number", exc)
            if data.get("register") and not (data.get("alias") or "").strip():
                self.add_error("alias", _("Give the account an alias to register it."))
        else:
            data["register"] = False
        return data


class LimitForm(forms.Form):
    """ "Configuración personal" → my own daily limit for one transfer type."""

    transfer_type = forms.ChoiceField(label=_("Transfer type"), choices=TransferType.choices)
    amount_bob = AmountField(
        currency="BOB",
        label=_("My daily limit (Bs)"),
        help_text=_("Lowering applies at once; raising needs your PIN and applies later."),
    )
