"""Comparing a registration request with the member's record (the cooperative's KYC data).

The member's recorded email and mobile decide who owns the web banking of the member's
accounts: when the request's contacts differ from them, one clerk cannot approve alone (see
``services.registration_approve``). Values are normalised before comparing so that spelling
noise (upper case, spaces, a "+591" prefix) is not taken for a different person, and a real
difference is never hidden by it.
"""

import dataclasses
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from accounts.models import Member, RegistrationRequest

BOLIVIA_PREFIX = "591"
NATIONAL_NUMBER_LENGTHS = (7, 8)  # landlines 7 digits, mobiles 8


def email_normalise(value: str | None) -> str:
    """Case and surrounding/inner whitespace do not make another mailbox."""
    return "".join((value or "").split()).casefold()


def phone_normalise(value: str | None) -> str:
    """Digits only, without the Bolivian country prefix ("+591", "00591", "591")."""
    digits = re.sub(r"\D", "", value or "")
    for prefix in ("00" + BOLIVIA_PREFIX, BOLIVIA_PREFIX):
        rest = digits.removeprefix(prefix)
        if rest != digits and len(rest) in NATIONAL_NUMBER_LENGTHS:
            return rest
    return digits


def _name_normalise(value: str | None) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split()).casefold()


@dataclasses.dataclass(frozen=True)
class FieldComparison:
    """One row of the clerk's side-by-side table."""

    key: str
    label: str
    request_value: str
    member_value: str
    differs: bool
    decides: bool  # a contact field: a difference needs the four-eyes approval


def registration_compare(
    registration: RegistrationRequest, member: Member | None
) -> list[FieldComparison]:
    """Field by field, the request next to the member record (``member`` None: nothing to
    compare, no row is marked)."""

    def row(key, label, request_value, member_value, same, decides=False) -> FieldComparison:
        differs = member is not None and not same
        return FieldComparison(
            key, str(label), request_value or "", member_value or "", differs, decides
        )

    m = member or Member()
    request_doc = f"{registration.document_type} {registration.document_number}"
    member_doc = f"{m.document_type} {m.document_number}" if member else ""
    return [
        row(
            "document",
            _("document"),
            f"{request_doc} {registration.document_issued_in}".strip(),
            f"{member_doc} {m.document_issued_in}".strip(),
            (registration.document_type, registration.document_number)
            == (m.document_type, m.document_number),
        ),
        row(
            "name",
            _("name"),
            registration.display_name,
            m.display_name if member else "",
            _name_normalise(registration.display_name) == _name_normalise(m.display_name),
        ),
        row(
            "birth_date",
            _("date of birth"),
            str(registration.birth_date or ""),
            str(m.birth_date or ""),
            registration.birth_date == m.birth_date,
        ),
        row(
            "email",
            _("email"),
            registration.email,
            m.email,
            email_normalise(registration.email) == email_normalise(m.email) and bool(m.email),
            decides=True,
        ),
        row(
            "phone",
            _("phone"),
            registration.phone,
            m.mobile_phone,
            phone_normalise(registration.phone) == phone_normalise(m.mobile_phone)
            and bool(m.mobile_phone),
            decides=True,
        ),
    ]


def contacts_differ(registration: RegistrationRequest, member: Member) -> list[str]:
    """The contact fields ("email", "phone") where the request is not what the member's
    record holds. A blank record counts as different: nothing on file vouches for it."""
    return [c.key for c in registration_compare(registration, member) if c.decides and c.differs]
