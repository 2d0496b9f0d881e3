"""Shape rules for what a member types when registering a third-party product.

Everything here is pure (no database): the forms use it to give a clear message early and the
services call it again, because a service never trusts its caller.

Account numbers at other banks
------------------------------
Numbers are kept as strings (leading zeros matter). Spaces and hyphens are presentation only and
are removed; what remains must be digits. Every bank: 6 to 20 digits. Where a bank's length is
known, ``BANK_NUMBER_LENGTHS`` narrows it:

====== ============================== ==========
code   bank                           digits
====== ============================== ==========
BNB    Banco Nacional de Bolivia      10
BMSC   Banco Mercantil Santa Cruz     10
BUN    Banco Unión                    10 to 13
====== ============================== ==========

These lengths come from the account numbers the banks print on their own statements and
deposit slips; they are a configuration point to confirm with each bank (a wrong rule refuses
a real account), not an ASFI standard. A bank missing here gets only the generic rule.

Documents
---------
* CI (Carnet de Identidad): 5 to 10 digits, optionally the SEGIP duplicate complement
  "-1A" (hyphen, digit, letter). The department of issue is not part of the number.
* NIT: 7 to 13 digits (companies are usually 9 to 10 digits; a person's NIT is their CI plus
  digits).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Cooperative account numbers: ten digits, currency first ("1011000136" BOB, "2011000393" USD).
MEMBER_ACCOUNT_RE = re.compile(r"^\d{10}$", re.ASCII)

GENERIC_NUMBER_LENGTH = (6, 20)
BANK_NUMBER_LENGTHS: dict[str, tuple[int, int]] = {
    "BNB": (10, 10),
    "BMSC": (10, 10),
    "BUN": (10, 13),
}

CI_RE = re.compile(r"^\d{5,10}(-\d[A-Z])?$", re.ASCII)
NIT_RE = re.compile(r"^\d{7,13}$", re.ASCII)
# Letters (with Spanish accents), digits, spaces and the punctuation of company names.
NAME_RE = re.compile(r"^[A-Za-zÁÉÍÓÚÜÑáéíóúüñ0-9 .,&'\-]+$")
ALIAS_MAX = 40
NAME_MAX = 120


def normalize_number(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw or "")


def member_account_number_clean(raw: str) -> str:
    number = normalize_number(raw)
    if not MEMBER_ACCOUNT_RE.fullmatch(number):
        raise ValidationError(
            _("The account number has 10 digits, for example 1011000136."), code="format"
        )
    return number


def other_bank_number_clean(raw: str, bank_code: str | None) -> str:
    number = normalize_number(raw)
    if not (number.isascii() and number.isdigit()):
        raise ValidationError(_("The product number may contain only digits."), code="format")
    low, high = BANK_NUMBER_LENGTHS.get(bank_code or "", GENERIC_NUMBER_LENGTH)
    if not low <= len(number) <= high:
        if low == high:
            message = _("This bank's product numbers have %(low)d digits.") % {"low": low}
        else:
            message = _("This bank's product numbers have between %(low)d and %(high)d digits.") % {
                "low": low,
                "high": high,
            }
        raise ValidationError(message, code="length")
    return number


def document_clean(document_type: str, raw: str) -> str:
    value = re.sub(r"\s", "", raw or "").upper()
    if document_type == "CI":
        if not CI_RE.fullmatch(value):
            raise ValidationError(
                _(
                    "An identity card number has 5 to 10 digits, optionally with a complement "
                    "such as 1234567-1A."
                ),
                code="ci",
            )
    elif document_type == "NIT":
        if not NIT_RE.fullmatch(value):
            raise ValidationError(_("A NIT has 7 to 13 digits."), code="nit")
    else:
        raise ValidationError(_("Choose the document type."), code="document_type")
    return value


def holder_name_clean(raw: str) -> str:
    name = " ".join((raw or "").split())
    if len(name) < 3 or len(name) > NAME_MAX or not NAME_RE.fullmatch(name):
        raise ValidationError(
            _("Write the beneficiary's full name (letters, spaces and . , & ' -)."), code="name"
        )
    if not re.search(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]", name):
        raise ValidationError(_("The beneficiary's name must contain letters."), code="name")
    return name


def alias_clean(raw: str) -> str:
    alias = " ".join((raw or "").split())
    if not alias:
        raise ValidationError(_("Write an alias."), code="required")
    if len(alias) > ALIAS_MAX or not alias.isprintable():
        raise ValidationError(
            _("The alias has at most %(max)d characters.") % {"max": ALIAS_MAX}, code="alias"
        )
    return alias


def mask_name(full_name: str) -> str:
    """Keep the first word, reduce every other to its initial: "Silvia F*** F***"."""
    words = full_name.split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0].upper()}***" for word in words[1:])])
