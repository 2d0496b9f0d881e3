from decimal import Decimal

from django import template

from ledger.money import format_money

register = template.Library()


@register.filter(name="money")
def money(amount: Decimal | None, currency: str) -> str:
    """``{{ account.balance|money:account.currency }}`` → ``Bs 1.000,00``."""
    if amount is None:
        return ""
    return format_money(amount, currency)


@register.filter(name="money_abs")
def money_abs(amount: Decimal | None, currency: str) -> str:
    """A debit shown in its own column needs no minus sign: ``-5`` → ``Bs 5,00``."""
    if amount is None:
        return ""
    return format_money(abs(amount), currency)
