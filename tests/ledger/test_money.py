from decimal import Decimal

import pytest

from ledger.money import format_money, quantize


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1000"), "BOB", "Bs 1.000,00"),
        (Decimal("0"), "BOB", "Bs 0,00"),
        (Decimal("0.5"), "USD", "$us 0,50"),
        (Decimal("1234567.891"), "BOB", "Bs 1.234.567,89"),
        (Decimal("-1000.005"), "USD", "$us -1.000,01"),
        (Decimal("999.999"), "BOB", "Bs 1.000,00"),
        (Decimal("100"), "EUR", "EUR 100,00"),
    ],
)
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_quantize_rejects_float():
    with pytest.raises(TypeError):
        quantize(0.1)


def test_quantize_half_up():
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("0.0049")) == Decimal("0.00")
