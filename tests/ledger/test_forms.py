from decimal import Decimal

import pytest

from ledger.forms import AmountField
from ledger.money import AmountParseError, parse_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", "1000"),
        ("1.000,50", "1000.50"),
        ("1000,50", "1000.50"),
        ("1000.50", "1000.50"),
        ("12.345.678,9", "12345678.9"),
        ("Bs 250,00", "250.00"),
        ("0,5", "0.5"),
    ],
)
def test_parse_amount(text, expected):
    assert parse_money(text) == Decimal(expected)


# "1.000" and "1,000.50" were read as a thousand before issue 12: both are ambiguous now
# (tests/test_input_helpers.py holds the property over every ambiguous form).
@pytest.mark.parametrize(
    "text", ["", "abc", "1,2,3", "1e5", "--1", "NaN", "1.2.3,4,5", "1.000", "1,000.50"]
)
def test_parse_amount_rejects(text):
    with pytest.raises(AmountParseError):
        parse_money(text)


@pytest.mark.parametrize("text", ["0", "-5", "1,005", "99999999999", "x"])
def test_amount_field_errors(text):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        AmountField().clean(text)


def test_amount_field_ok():
    assert AmountField().clean("1.234,56") == Decimal("1234.56")
