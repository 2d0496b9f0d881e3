"""Forms of the payment flow: they shape the input; loans.selectors decides if it is valid."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ledger.forms import AmountField
from ledger.models import Account
from ledger.money import format_money
from ledger.templatetags.money import amounts, money

from . import selectors
from .exceptions import LoanError
from .models import LoanPayment


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Payment type"),
        choices=LoanPayment.Kind.choices,
        initial=LoanPayment.Kind.INSTALMENTS,
        widget=forms.RadioSelect,
    )
    instalments = forms.TypedMultipleChoiceField(
        label=_("Instalments to pay"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Instalments are paid oldest first: you cannot skip an older one."),
    )
    # The portal's one amount reader: "500,50" and "1.000,50" as the guide prints them.
    amount = AmountField(
        label=_("Amount"),
        required=False,
        help_text=_("Only for a partial amount."),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"}
        ),
    )
    # Radios, not a select: a closed select cut "1011000136 Caja de Ahor…" at 320 px and hid
    # the balance the member chooses by.
    source_account = forms.TypedChoiceField(
        label=_("Source account"), coerce=int, widget=forms.RadioSelect
    )

    def __init__(
        self, *args, summary: selectors.LoanSummary, accounts: list[Account], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.summary = summary
        self.accounts = {account.pk: account for account in accounts}
        currency = summary.loan.currency
        self.fields["amount"].currency = currency
        # Checkbox and radio labels: the amounts in money spans (``amounts`` escapes the rest).
        self.fields["instalments"].choices = [
            (
                line.instalment.pk,
                amounts(
                    _("Instalment %(number)s — due %(date)s — %(amount)s")
                    % {
                        "number": line.instalment.number,
                        "date": line.instalment.due_date.strftime("%d/%m/%Y"),
                        "amount": format_money(line.due, currency),
                    }
                ),
            )
            for line in summary.unpaid
        ]
        self.fields["source_account"].choices = [
            # As the transfers' "Cuenta origen" reads it: product, number, balance in a money span.
            (
                account.pk,
                format_html(
                    "{} {} {}",
                    account.get_product_type_display(),
                    account.number,
                    money(account.balance, account.currency),
                ),
            )
            for account in accounts
        ]
        # The loan's own account if the member may pay from it, else the first one: a select
        # showed its first option, and a member with one account needs no extra click.
        if summary.loan.account_id in self.accounts:
            self.fields["source_account"].initial = summary.loan.account_id
        elif accounts:
            self.fields["source_account"].initial = accounts[0].pk
        if summary.unpaid:
            self.fields["instalments"].initial = [summary.unpaid[0].instalment.pk]
        self.breakdown = None

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None or self.errors:
            return data
        selection: dict = {}
        if kind == LoanPayment.Kind.INSTALMENTS:
            if not data.get("instalments"):
                self.add_error("instalments", _("Choose at least one instalment."))
                return data
            selection["instalment_ids"] = data["instalments"]
        elif kind == LoanPayment.Kind.AMOUNT:
            if data.get("amount") is None:
                self.add_error("amount", _("Enter the amount to pay."))
                return data
            selection["amount"] = data["amount"]
        else:
            selection["payoff"] = True
        try:
            self.breakdown = selectors.payment_breakdown(summary=self.summary, **selection)
        except LoanError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.selection = selection
        return data
