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
