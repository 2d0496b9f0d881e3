"""Free text a person types: one cleaning rule and the form fields that apply it.

Every form field that takes free text from a member (a description, an alias, a name, an
address, an email, a declaration) is a :class:`TextField`, :class:`TextEmailField` or
:class:`DeclarationField` from this module, never a bare ``forms.CharField`` (a test walks
every form of the project and every ``forms.CharField(...)`` in the source to hold this).
Secrets (passwords, PINs, device codes) are the exception: they are compared byte for byte,
so they are never rewritten.

The cleaning (:func:`text_clean`), in this order:

1. NFKC normalisation: compatibility forms become their plain letters (full-width "Ａ" → "A",
   the "ﬁ" ligature → "fi", a no-break space → a space), so what is stored is what is read.
2. Every whitespace character (tabs, line breaks, the Unicode spaces) becomes a plain space;
   a multi-line field keeps its line breaks (as ``\\n``).
3. Format characters (Unicode category Cf: zero-width spaces and joiners, bidirectional
   overrides, the soft hyphen…) and control characters (Cc), plus surrogates, private-use and
   unassigned code points, are dropped: none of them prints, so none may carry meaning. A
   "Origen de fondos" of zero-width spaces was accepted as a declaration before this rule.
4. Runs of spaces collapse to one; the ends are stripped.

A required field whose text cleans to nothing is refused as empty. A declaration
(:class:`DeclarationField`, "Origen de fondos" and "Destino de fondos") must also hold real
words: at least :data:`DECLARATION_MIN_LETTERS` letters (any Unicode letter, category L*).

Why here: ``progresonet`` is the project package; every app may import it, and this module
imports only Django, so it can create no import loop between the apps (``ledger`` would do
for the transfers, but ``accounts`` and the registration forms must not depend on the
ledger for a text rule).
"""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DECLARATION_MIN_LETTERS = 3
# Categories that never print: format, control, surrogate, private use, unassigned.
_INVISIBLE = frozenset({"Cf", "Cc", "Cs", "Co", "Cn"})


def text_clean(value: str, *, multiline: bool = False) -> str:
    """``value`` NFKC-normalised, without invisible characters, whitespace collapsed and
    stripped (see the module docstring). Line breaks survive only when ``multiline``."""
    value = unicodedata.normalize("NFKC", value)
    lines = value.splitlines() if multiline else [value]
    cleaned = []
    for line in lines:
        kept = "".join(
            " " if char.isspace() else char
            for char in line
            if char.isspace() or unicodedata.category(char) not in _INVISIBLE
        )
        cleaned.append(" ".join(kept.split()))
    return "\n".join(cleaned).strip()


def letters_count(value: str) -> int:
    return sum(1 for char in value if unicodedata.category(char).startswith("L"))


def declaration_is_words(value: str) -> bool:
    """True when ``value``, cleaned, holds at least :data:`DECLARATION_MIN_LETTERS` letters:
    the rule a declaration of the origin or destination of funds must meet (services call it
    too, since they never trust their caller's form)."""
    return letters_count(text_clean(value)) >= DECLARATION_MIN_LETTERS


class CleanTextMixin:
    """Applies :func:`text_clean` before any other check of the field (so ``required``,
    ``max_length`` and validators see the cleaned text)."""

    multiline = False

    def to_python(self, value):
        if isinstance(value, str):
            value = text_clean(value, multiline=self.multiline)
        return super().to_python(value)


class TextField(CleanTextMixin, forms.CharField):
    """A single-line free-text field; ``multiline=True`` for a textarea."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)


class TextEmailField(CleanTextMixin, forms.EmailField):
    """An email address, cleaned like any text first: Django's validator lets invisible
    characters through in the domain part (it accepts internationalised domains)."""


class DeclarationField(TextField):
    """ "Origen de fondos" / "Destino de fondos": when given, real words (at least
    :data:`DECLARATION_MIN_LETTERS` letters), so an invisible or punctuation-only text cannot
    satisfy the regulatory rule."""

    default_error_messages = {
        "no_words": _(
            "Describe it in words (at least %(count)s letters), for example “Ahorro del sueldo”."
        ),
    }

    def validate(self, value):
        super().validate(value)
        if value and not declaration_is_words(value):
            raise ValidationError(
                self.error_messages["no_words"],
                code="no_words",
                params={"count": DECLARATION_MIN_LETTERS},
            )
