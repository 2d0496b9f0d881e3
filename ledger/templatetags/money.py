"""Every number a member reads, printed one way (``ledger.money``).

* ``{{ amount|money:currency }}`` → ``<span class="money">Bs 1.000,00</span>``: the span lets
  the stylesheet keep an amount on one line and lets the layout test find every amount.
* ``{{ amount|money_text:currency }}`` → ``Bs 1.000,00`` without markup, for plain-text
  emails and attribute values.
* ``{{ text|amounts }}`` wraps the amounts inside an already formatted text (a receipt row
  built in Python) in the same span, escaping the rest.
* ``{{ rate|number:2 }}`` → ``6,96``; ``{{ rate|percent }}`` → ``12,50 %``.
"""

from decimal import Decimal

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from ledger.money import MONEY_IN_TEXT, format_money, format_number, format_percent

register = template.Library()


def _span(text: str) -> SafeString:
    return format_html('<span class="money">{}</span>', text)


@register.filter(name="money")
def money(amount: Decimal | None, currency: str) -> str:
    """``{{ account.balance|money:account.currency }}`` → ``Bs 1.000,00`` in a money span."""
    if amount is None or amount == "":
        return ""
    return _span(format_money(amount, currency))


@register.filter(name="money_abs")
def money_abs(amount: Decimal | None, currency: str) -> str:
    """A debit shown in its own column needs no minus sign: ``-5`` → ``Bs 5,00``."""
    if amount is None or amount == "":
        return ""
    return _span(format_money(abs(Decimal(amount)), currency))


@register.filter(name="money_text")
def money_text(amount: Decimal | None, currency: str) -> str:
    """The same figure without markup (plain-text emails, attributes)."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)


@register.filter(name="amounts", is_safe=True)
def amounts(text: object) -> str:
    """Wrap each amount inside ``text`` in the money span; the rest is escaped."""
    text = "" if text is None else str(text)
    if isinstance(text, SafeString) and "money" in text:
        return text
    out, last = [], 0
    for match in MONEY_IN_TEXT.finditer(text):
        out.append(conditional_escape(text[last : match.start()]))
        out.append(_span(match.group()))
        last = match.end()
    out.append(conditional_escape(text[last:]))
    # Every piece is already escaped (or a money span): format_html keeps them as they are.
    return format_html("{}" * len(out), *out)


@register.filter(name="number")
def number(value: Decimal | None, places: int = 2) -> str:
    """``{{ quote.exchange_rate|number:2 }}`` → ``6,96``."""
    if value is None or value == "":
        return ""
    return format_number(value, int(places))


@register.filter(name="percent")
def percent(value: Decimal | None, places: int = 2) -> str:
    """``{{ loan.annual_rate|percent }}`` → ``12,50 %``."""
    if value is None or value == "":
        return ""
    return format_percent(value, int(places))
