"""Form fields for money, shared by every flow that asks a member for an amount."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .money import has_cents_only

# "1.000" and "12.345.678" use dots as thousands separators (Bolivian style).
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(text: str) -> Decimal:
    """Read an amount typed the Bolivian way ("1.000,50") or the plain way ("1000.50").

    With both separators, the last one is the decimal separator; a comma alone is decimal; dots
    followed by groups of exactly three digits are thousands separators. Raises ValueError.
    """
    value = text.strip().replace(" ", "").replace("Bs", "").replace("$us", "")
    if not value or not re.fullmatch(r"-?[\d.,]+", value):
        raise ValueError(text)
    if "," in value and "." in value:
        decimal_sep = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        value = value.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in value:
        if value.count(",") > 1:
            raise ValueError(text)
        value = value.replace(",", ".")
    elif _DOT_THOUSANDS.match(value.lstrip("-")):
        value = value.replace(".", "")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


class AmountField(forms.Field):
    """A positive amount with at most two decimals, as ``Decimal``."""

    default_error_messages = {
        "invalid": _("Enter a valid amount, for example 1.000,50."),
        "not_positive": _("The amount must be greater than zero."),
        "precision": _("The amount may have at most two decimals."),
        "too_large": _("The amount is too large."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value)
        if len(value) > 20:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = parse_amount(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not amount.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if amount <= 0:
            raise ValidationError(self.error_messages["not_positive"], code="not_positive")
        if not has_cents_only(amount):
            raise ValidationError(self.error_messages["precision"], code="precision")
        if amount > MAX_AMOUNT:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return amount.quantize(Decimal("0.01"))
