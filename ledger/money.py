"""Money: ``Decimal`` with two places and a currency code. Never ``float``.

One rounding module: :func:`quantize` (half-up, as Bolivian banking rounds cents a member
neither pays nor receives, such as a displayed figure) and, for currency conversion, the two
directed roundings :func:`quantize_up` (what the member pays) and :func:`quantize_down` (what
the member receives), so rounding never favours the member. An exact product or quotient of
an amount in cents and a rate with at most four decimals is either a whole number of cents or
at least 1e-7 away from one, far beyond the 28 digits ``Decimal`` keeps, so the directed
roundings of such a product or quotient are exact.

One formatter (:func:`format_money`) prints amounts as the cooperative's guide does:
``Bs 1.000,00`` and ``$us 1.000,00``; :func:`format_number` and :func:`format_percent` print
the other figures a member reads (exchange rates, interest rates) with the same comma decimals.
Templates reach them through the ``money`` template library (``ledger/templatetags/money.py``),
which also wraps every amount in ``<span class="money">`` so a stylesheet keeps it on one line.
"""

import re
import unicodedata
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
    return format_number(quantize(amount), 2)


def format_money(amount: Decimal, currency: str) -> str:
    """``(Decimal('1000'), 'BOB')`` → ``'Bs 1.000,00'``; unknown currencies keep their code."""
    return f"{SYMBOLS.get(currency, currency)} {format_amount(amount)}"


def format_number(value: Decimal | int | str, places: int = 2) -> str:
    """A figure that is not money (an exchange rate, a percentage) the way the guide prints
    numbers: ``Decimal('6.9600'), 2`` → ``'6,96'``; ``Decimal('1234.5'), 4`` → ``'1.234,5000'``.
    Rounded half up to ``places`` (a displayed figure only; computations keep full precision)."""
    value = _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):.{places}f}"
    whole, _, decimals = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{'.'.join(groups)}" + (f",{decimals}" if places else "")


def format_percent(value: Decimal | int | str, places: int = 2) -> str:
    """``Decimal('12.5')`` → ``'12,50 %'`` (a rate per year, as the loan pages print it)."""
    return f"{format_number(value, places)} %"


# Any amount format_money printed, inside a longer text (for wrapping it in markup).
MONEY_IN_TEXT = re.compile(r"(?:Bs|\$us) -?\d{1,3}(?:\.\d{3})*,\d{2}", re.ASCII)


class AmountParseError(ValueError):
    """Why a typed amount was refused: ``code`` is one of ``invalid``, ``ambiguous``,
    ``precision`` or ``currency`` (the form field maps each to its Spanish message)."""

    def __init__(self, code: str, text: str, symbol: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.text = text
        self.symbol = symbol


# Currency marks a member may type before (or after) the number, and the currency each means.
_MARKS = {"bs": "BOB", "bs.": "BOB", "bob": "BOB", "$us": "USD", "us$": "USD", "usd": "USD"}
_MARK = r"\$us|us\$|usd|bs\.?|bob"
_MARK_RE = re.compile(
    rf"^(?P<mark>{_MARK}|\$)?\s*(?P<number>[^\s]*?)\s*(?P<tail>{_MARK})?$", re.IGNORECASE
)
_INTEGER = re.compile(r"^\d+$", re.ASCII)
_BOLIVIAN = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$", re.ASCII)  # 1.000,50
_COMMA_DECIMAL = re.compile(r"^\d+,\d{1,2}$", re.ASCII)  # 1000,50
_DOT_DECIMAL = re.compile(r"^\d+\.\d{1,2}$", re.ASCII)  # 1000.50
# Ambiguous: "1.000" (a thousand, or one with three decimals?), "1,000" (a thousand the
# English way, or one?), "1,000.50" (the English way, the reverse of the cooperative's).
_AMBIGUOUS = (
    re.compile(r"^\d{1,3}(?:\.\d{3})+$", re.ASCII),
    re.compile(r"^\d{1,3}(?:,\d{3})+$", re.ASCII),
    re.compile(r"^\d{1,3}(?:,\d{3})+\.\d+$", re.ASCII),
)
_TOO_PRECISE = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)[,.]\d{3,}$", re.ASCII)


def parse_money(text: str, *, currency: str | None = None) -> Decimal:
    """Read an amount a member typed, only when it has one possible reading.

    Accepted (``Bs``/``$us`` may precede the number, spaces around it are ignored):

    ============== ============ ==============================================
    typed          read as      why it is unambiguous
    ============== ============ ==============================================
    ``1000``       1000.00      digits only
    ``1.000,50``   1000.50      the cooperative's own format (``format_money``)
    ``1000,50``    1000.50      a comma followed by one or two digits is cents
    ``1000.50``    1000.50      a dot followed by one or two digits cannot be
                                a thousands separator (those group three)
    ``Bs 1.000,50`` 1000.50     the symbol matches the field's currency
    ============== ============ ==============================================

    Refused, with the code the caller turns into a message:

    * ``ambiguous``: ``1.000`` and ``1,000`` (a thousand, or one with three decimals?),
      ``1,000.50`` (the English way round, the reverse of the cooperative's).
    * ``precision``: more than two decimals (``10,005``, ``1.000,505``).
    * ``currency``: a symbol that is not ``currency`` (``$us 5`` in a boliviano field); when
      ``currency`` is None any known symbol is accepted and the caller checks it.
    * ``invalid``: anything else (signs, exponents, letters, ``1,2,3``, ``.5``, empty).

    Never returns more than two decimals; raises :class:`AmountParseError`.
    """
    raw = text
    value = unicodedata.normalize("NFKC", text).strip()
    match = _MARK_RE.match(value)
    if match is None:
        raise AmountParseError("invalid", raw)
    mark = (match["mark"] or match["tail"] or "").lower()
    if match["mark"] and match["tail"]:
        raise AmountParseError("invalid", raw)
    number = match["number"]
    if mark:
        marked = "USD" if mark == "$" else _MARKS[mark]
        if mark == "$" or (currency is not None and marked != currency):
            # "$" alone is the dollar elsewhere and the peso in some countries: ambiguous too.
            raise AmountParseError("currency", raw, symbol=match["mark"] or match["tail"])
    if _INTEGER.match(number):
        return Decimal(number).quantize(CENT)
    if _BOLIVIAN.match(number):
        return Decimal(number.replace(".", "").replace(",", ".")).quantize(CENT)
    if _COMMA_DECIMAL.match(number):
        return Decimal(number.replace(",", ".")).quantize(CENT)
    if _DOT_DECIMAL.match(number):
        return Decimal(number).quantize(CENT)
    if any(pattern.match(number) for pattern in _AMBIGUOUS):
        raise AmountParseError("ambiguous", raw)
    if _TOO_PRECISE.match(number):
        raise AmountParseError("precision", raw)
    raise AmountParseError("invalid", raw)
