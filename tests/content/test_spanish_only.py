"""No English on any page a member or a clerk reads (issue 14, item 4).

How: every member page (the resolver walk of ``pages.py``, plus the wizard steps and receipts
only a flow reaches), the anonymous pages, the admin pages clerks use (sign-in with the
security code, the index, registration requests and their approval, users, unlock, the cash
desk, exchange rates, fee bands — with the errors of forms sent empty), every outbox email
and every email template are rendered in Spanish; what a person reads (text nodes, and the
placeholder, aria-label, title and alt attributes and button values) is split into words,
and a word that is English and not also Spanish fails the test.

Why a word list and not only the catalogue: tests/test_i18n.py already proves each marked
msgid has a translation, but a string never marked for translation (a form field's label
made from its name, "Idempotency key"; a device called "Demo"; a third-party app's own
catalogue saying "Token OTP") is in no catalogue at all. The words below are the ones such
leaks are made of — English function words and the vocabulary of this product and of
Django's admin — and exclude every word that is also Spanish ("no", "a", "total", "error").
What the test itself typed (names, descriptions) is Spanish, so it cannot hide a leak or
raise a false one.
"""

import re

import pytest
from django.test import Client

from tests.security.test_access_matrix import owner as owner  # noqa: PLC0414 - the fixture

from .pages import (
    admin_pages,
    anonymous_pages,
    emails,
    member_pages,
    read,
    rendered_email_templates,
)

pytestmark = pytest.mark.django_db

ENGLISH = set(
    """
    the of and to is are was were be been being has have had do does did not this that these
    those with for from by on at or an it its your you yours we our they their them my mine
    will would should can could may must shall please thanks thank sorry cannot don't doesn't
    won't isn't can't there here when where which who whom what why how than then only also
    any all some none each every more less most other another into onto over under about
    after before between while until since again already yet just still very too
    select enter choose click submit save delete add change edit view search filter show hide
    next previous back cancel confirm continue yes okay log login logout signin sign signed
    password username user users name names email account accounts amount amounts balance
    date time number type status required field fields invalid valid errors key keys
    token tokens device devices challenge get set new old history home site administration
    action actions go item items page pages transfer transfers payment payments loan loans
    due paid pending approved rejected active locked unlock unlocked request requests
    registration registrations member members rate rates fee fees band bands currency buy
    sell official description receipt download copy copied welcome hello note notes true
    false unknown today yesterday tomorrow day days month months year years hour hours minute
    minutes seconds ago week weeks first last created updated modified added changed deleted
    saved successfully success failed failure warning help contact privacy terms recent
    selected clear apply run reset verify verified approve reject sent send message messages
    empty list details detail open close closed opened expired expires link links own bank
    banks holder holders joint savings daily limit limits model models object objects group
    groups permission permissions staff superuser dashboard profile settings security
    session sessions idempotency demo please enabled disabled choose chosen available
    remove removed clicking following record records entry entries instalment instalments
    principal interest penalty outstanding statement statements movements movement deposit
    withdrawal cash desk approval approvals identity document documents card phone address
    birth place request submitted confirmed reason reasons proposed proposal proposals
    effective valid from until through inclusive whole schedule schedules code codes
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Also Spanish, or a name: never a leak on their own.
NOT_ENGLISH = {
    "a",
    "no",
    "de",
    "me",
    "son",
    "he",
    "total",
    "error",
    "final",
    "local",
    "base",
    "principal",
}
ENGLISH -= NOT_ENGLISH
# A run of letters and digits; one with a digit in it is an identifier (a receipt number
# "694BE1355590", a key group "AT3X", a digest), never a word.
WORD = re.compile(r"[0-9A-Za-zÁÉÍÓÚÜÑáéíóúüñ']+")
# Proper names and acronyms the cooperative uses as they are.
# "SMS token" is the guide's own word ("Configurar SMS token").
ALLOWED_PHRASES = ("ProgresoNet", "Progreso R.L.", "SMS token", "token SMS", "SMS Token")


def english_words(text: str) -> list[str]:
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    found = []
    for word in WORD.findall(text):
        if not any(c.isdigit() for c in word) and word.lower() in ENGLISH:
            found.append(word)
    return found


def _check(texts: dict[str, str]) -> dict[str, list[str]]:
    failures = {}
    for name, text in texts.items():
        words = sorted(set(english_words(text)))
        if words:
            # The text around each word, to find the leak quickly.
            failures[name] = [
                f"{word}: …{m.group()}…"
                for word in words[:8]
                # Letter boundaries, as WORD splits them ("AT" in "AT3X" too).
                if (
                    m := re.search(
                        rf".{{0,40}}(?<![A-Za-z]){re.escape(word)}(?![A-Za-z]).{{0,40}}", text
                    )
                )
            ]
    return failures


def report(failures: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {line}" for name, lines in failures.items() for line in lines)


def test_the_checker_catches_what_issue_14_saw():
    for leak in (
        "Idempotency key *",
        "Please select a device.",
        "OTP Token:",
        "Token OTP",
        "Dispositivo: Demo",
        "This field is required.",
        "Enter a valid date.",
    ):
        assert english_words(leak), leak
    for spanish in (
        "Clave de la operación",
        "Total a debitar: Bs 1.000,00",
        "No hay movimientos. Ingrese su PIN.",
        "Cooperativa de Ahorro y Crédito Abierta Progreso R.L. — ProgresoNet",
    ):
        assert english_words(spanish) == [], spanish


def test_no_english_on_member_pages(client, owner):
    pages = member_pages(client, owner)
    pages.update(anonymous_pages(Client()))
    assert len(pages) >= 28, sorted(pages)
    failures = _check({name: read(html).readable() for name, html in pages.items()})
    assert not failures, report(failures)


def test_no_english_in_emails(client, owner):
    member_pages(client, owner)
    failures = _check({**emails(), **rendered_email_templates(owner)})
    assert not failures, report(failures)


def test_no_english_on_the_admin_pages_clerks_use(owner):
    pages = admin_pages(Client(), owner)
    failures = _check({name: read(html).readable() for name, html in pages.items()})
    assert not failures, report(failures)


def test_a_secret_key_marked_translate_no_is_not_read_as_english():
    # The device page's TOTP key is random base32: "AT3X" once failed the member-page check.
    html = '<p>Clave: <code translate="no">ATXQ ONZZ</code></p><p>Save</p>'
    assert english_words(read(html).readable()) == ["Save"]
    # Runs with digits are identifiers: "694BE1355590" once failed the receipt check.
    assert english_words("Comprobante 694BE1355590 clave AT3X") == []
    assert _check({"page": read(html).readable()}) == {"page": ["Save: …Clave: Save…"]}


def test_the_admin_password_summary_is_evidence_not_words():
    """The user page shows the first characters of the password's salt and hash: random
    base64 that once in a few hundred runs spells "To" or "an" ("To+qoh****"). They are marked
    translate="no" (accounts/templates/auth/widgets/), as a digest in the audit admin is."""
    from django.contrib.auth.forms import ReadOnlyPasswordHashWidget
    from django.test import override_settings
    from django.utils import translation

    encoded = (
        "argon2$argon2id$v=19$m=102400,t=2,p=8$NUFHQlJQZDkwYjI2UlZrVnhUTFZaQg"
        "$To+qohKCf9wQhoJ2WvFR7U94pmUkYOIKWPuBldjO4xo"
    )
    # Argon2id, as production hashes (the test settings use a faster hasher).
    argon2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    with translation.override("es"), override_settings(PASSWORD_HASHERS=argon2):
        html = ReadOnlyPasswordHashWidget().render("password", encoded)
    assert 'translate="no">To+qoh' in html
    assert english_words(read(html).readable()) == []
    # The same text read without the marks would fail: the check is not blind to it.
    assert "To" in english_words(read(html.replace(' translate="no"', "")).readable())
