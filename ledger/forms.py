"""Forms shared by ledger pages and money flows: the statement filter (a date range and a
keyset cursor, all from GET) and the amount field every flow uses to ask for money
(:class:`AmountField`; the parsing rule is :func:`ledger.money.parse_money`)."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .money import SYMBOLS, AmountParseError, parse_money

# The first and last day a statement may be asked for. Bounding the range keeps every date
# the form accepts convertible to a timezone-aware datetime (``date.max + 1 day`` overflows)
# and rejects typos such as year 20026 with a message instead of an empty page.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Line ids are PostgreSQL bigints; anything larger can only be a forged cursor.
CURSOR_MAX = 2**63 - 1

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        # The native picker submits ISO dates; render the value the same way. min/max keep
        # the picker inside the range the form accepts (the server still checks it).
        super().__init__(
            format="%Y-%m-%d",
            attrs={"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
        )


def _range_date_field(label) -> forms.DateField:
    """One end of a date range: optional, the native picker, dd/mm/yyyy typed by hand."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a valid date, for example 31/01/2026.")},
    )


class StatementFilterForm(forms.Form):
    date_from = _range_date_field(pgettext_lazy("date range", "From"))
    date_to = _range_date_field(pgettext_lazy("date range", "To"))
    before = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=CURSOR_MAX,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("The page link is not valid."),
            "min_value": _("The page link is not valid."),
            "max_value": _("The page link is not valid."),
        },
    )

    def _clean_bounded(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={
                    "first": EARLIEST_DATE.strftime("%d/%m/%Y"),
                    "last": LATEST_DATE.strftime("%d/%m/%Y"),
                },
            )
        return value

    def clean_date_from(self) -> date | None:
        return self._clean_bounded("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_bounded("date_to")

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def filter_params(self) -> dict[str, str]:
        """The valid date filter as query parameters, for links that must keep it."""
        params = {}
        for name in ("date_from", "date_to"):
            value = self.cleaned_data.get(name)
            if value:
                params[name] = value.isoformat()
        return params


MAX_AMOUNT = Decimal("9999999999.99")


class AmountField(forms.Field):
    """A positive amount with at most two decimals, as ``Decimal``: every amount field of the
    portal. Reads only unambiguous text (:func:`ledger.money.parse_money` lists what is
    accepted). ``currency`` ("BOB"/"USD") makes a typed symbol of the other currency an error;
    a form whose currency is chosen in the same form checks it with :meth:`check_currency`."""

    default_error_messages = {
        "invalid": _("Enter a valid amount, for example 1.000,50."),
        "ambiguous": _(
            "“%(text)s” can be read in two ways, and an amount has at most two decimals: "
            "write thousands with a dot and cents with a comma, for example 1.000,50, or no "
            "thousands separator: 1000,50."
        ),
        "currency": _(
            "The currency mark “%(symbol)s” does not match the currency of this amount "
            "(%(currency)s). Type only the number."
        ),
        "not_positive": _("The amount must be greater than zero."),
        "negative": _("The amount cannot be negative."),
        "precision": _("The amount may have at most two decimals."),
        "too_large": _("The amount is too large."),
    }

    def __init__(self, *, currency: str | None = None, allow_zero: bool = False, **kwargs):
        self.currency = currency
        # A fee may be zero (own transfers are free); an amount of money moved never is.
        self.allow_zero = allow_zero
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"})
        )
        super().__init__(**kwargs)

    def parse(self, value: str, currency: str | None) -> Decimal:
        if len(value) > 20:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if value.strip().startswith("-"):
            # Say what is wrong rather than "not a valid amount": a sign is never accepted.
            code = "negative" if self.allow_zero else "not_positive"
            raise ValidationError(self.error_messages[code], code=code)
        try:
            amount = parse_money(value, currency=currency)
        except AmountParseError as exc:
            raise ValidationError(
                self.error_messages[exc.code],
                code=exc.code,
                params={
                    "text": value.strip(),
                    "symbol": exc.symbol,
                    "currency": SYMBOLS.get(currency or "", currency or ""),
                },
            ) from None
        if amount < 0 or (amount == 0 and not self.allow_zero):
            raise ValidationError(self.error_messages["not_positive"], code="not_positive")
        if amount > MAX_AMOUNT:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return amount

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return self.parse(str(value), self.currency)

    def check_currency(self, raw, currency: str) -> None:
        """Re-read ``raw`` (the posted text) against ``currency``, chosen in the same form."""
        if raw not in self.empty_values:
            self.parse(str(raw), currency)
