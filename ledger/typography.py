"""Amounts of money stay in one piece on screen.

A line may break at any space, so "Bs 1.500,50" in a narrow column or a long label can end a
line with "Bs" and start the next with "1.500,50". :func:`amounts_unbroken` puts a no-break
space (U+00A0) between the currency and the figure of every amount in a text, which reads
the same and never breaks. It is for texts built in Python that reach the page as a whole
(choice labels, help texts, error messages); ``format_money`` itself keeps the plain space
that emails, PDFs and CSVs use.
"""

import re

from django.utils.safestring import SafeString, mark_safe

# "Bs 1.000,00", "$us 5,00", "USD 1.000,00" (the regulatory threshold is printed in USD).
_AMOUNT = re.compile(r"(Bs|\$us|USD) (?=-?\d)")


def amounts_unbroken(text: str) -> str:
    """``"Saldo Bs 1.000,00"`` → ``"Saldo Bs\\u00a01.000,00"``; safe text stays safe."""
    result = _AMOUNT.sub("\\1\u00a0", str(text))
    if isinstance(text, SafeString):
        # Only a space became another space in text that was already safe: markup untouched.
        return mark_safe(result)  # noqa: S308  # nosec B308 B703
    return result
