from django import template

from ledger.typography import amounts_unbroken

register = template.Library()


@register.filter(name="amounts_unbroken", is_safe=True)
def amounts_unbroken_filter(text: object) -> str:
    """``{{ field.help_text|amounts_unbroken }}``: no line break inside an amount."""
    return "" if text is None else amounts_unbroken(text)
