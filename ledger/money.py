"""Money: ``Decimal`` with two places and a currency code. Never ``float``.

One rounding module: :func:`quantize` (half-up, as Bolivian banking rounds cents a member
neither pays nor receives, such as a displayed figure) and, for currency conversion, the two
directed roundings :func:`quantize_up` (what the member pays) and :func:`quantize_down` (what
the member receives), so rounding never favours the member. An exact product or quotient of
an amount in cents and a rate with at most four decimals is either a whole number of cents or
at least 1e-7 away from one, far beyond the 28 digits ``Decimal`` keeps, so the directed
roundings of such a product or quotient are exact.

One formatter (:func:`format_money`) prints amounts as the cooperative's guide does:
``Bs 1.000,00`` and ``$us 1.000,00``.
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
SYMBOLS = {"BOB": "Bs", "USD": "$us"}


def _decimal(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money must not be a float.")
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"Not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"Not an amount: {amount!r}")
    return value


def quantize(amount: Decimal | int | str) -> Decimal:
    """Round to cents, half up. Rejects floats so binary fractions never reach a balance."""
    return _decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_up(amount: Decimal | int | str) -> Decimal:
    """Round to cents towards +infinity: for what the member pays (a converted debit)."""
    return _decimal(amount).quantize(CENT, rounding=ROUND_CEILING)


def quantize_down(amount: Decimal | int | str) -> Decimal:
    """Round to cents towards -infinity: for what the member receives (a converted credit)."""
    return _decimal(amount).quantize(CENT, rounding=ROUND_FLOOR)


def has_cents_only(amount: Decimal) -> bool:
    """True if ``amount`` needs no rounding to be expressed in cents."""
    return amount.is_finite() and amount == amount.quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """``Decimal('-1234.5')`` → ``'-1.234,50'`` (dot thousands, comma decimals)."""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{'.'.join(groups)},{cents}"


def format_money(amount: Decimal, currency: str) -> str:
    """``(Decimal('1000'), 'BOB')`` → ``'Bs 1.000,00'``; unknown currencies keep their code."""
    return f"{SYMBOLS.get(currency, currency)} {format_amount(amount)}"
