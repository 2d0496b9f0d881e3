"""The transaction PIN: rules, hashing and the three-strike lock.

Rules (stated to the member on every PIN form): digits only, 4 to 6 of them; not equal to or
contained in the member's document number (the guide: "se recomienda no colocar su número de
carnet" — enforced here); not trivial (one repeated digit, an ascending or descending run such
as 1234 or 987654, or a repeated pair such as 1212).

Storage: Argon2id over HMAC-SHA256(pepper, PIN). The pepper (``settings.PIN_PEPPER``) is not in
the database, so a dump alone does not allow an offline search of the small PIN space. The PIN
is never logged, audited or put in an exception message.
"""

import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import AccountEvent
from accounts.models import TransactionPin, User
from audit.services import audit_record
from progresonet.sql import names, sql

from .common import changed_notify, user_email_enqueue
from .login import password_require
from .strikes import (
    MAX_CONSECUTIVE_FAILURES,
    lock_audit,
    strike_add,
    strike_unlock,
    strikes_clear,
)

PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 6

__all__ = ["MAX_CONSECUTIVE_FAILURES", "pin_change", "pin_check", "pin_set", "pin_strike"]


def _hasher() -> PasswordHasher:
    # Parameters and why they are what they are: settings.base, "PIN_ARGON2_*".
    return PasswordHasher(
        time_cost=settings.PIN_ARGON2_TIME_COST,
        memory_cost=settings.PIN_ARGON2_MEMORY_KIB,
        parallelism=settings.PIN_ARGON2_PARALLELISM,
    )


def _peppered(pin: str) -> str:
    pepper = settings.PIN_PEPPER
    if not pepper:
        raise ImproperlyConfigured("PIN_PEPPER (DJANGO_PIN_PEPPER) must be set.")
    return hmac.new(pepper.encode(), pin.encode(), hashlib.sha256).hexdigest()


def pin_hash(pin: str) -> str:
    return _hasher().hash(_peppered(pin))


def _pin_matches(encoded: str, pin: str) -> bool:
    try:
        return _hasher().verify(encoded, _peppered(pin))
    except (VerificationError, InvalidHashError):
        return False


def _is_trivial(pin: str) -> bool:
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        return True
    # 1212, 123123, 4545…: a short block repeated.
    return any(len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size) for size in (2, 3))


def pin_validate(*, pin: str, user: User) -> None:
    """Raise ``ValidationError`` (Spanish messages) if the PIN breaks a rule."""
    if not re.fullmatch(r"\d+", pin or ""):
        raise ValidationError(_("The PIN must contain digits only."), code="pin_digits")
    if not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise ValidationError(
            _("The PIN must have between %(min)d and %(max)d digits."),
            code="pin_length",
            params={"min": PIN_MIN_LENGTH, "max": PIN_MAX_LENGTH},
        )
    member = getattr(user, "member", None)
    document = re.sub(r"\D", "", member.document_number) if member is not None else ""
    if document and pin in document:
        raise ValidationError(
            _("The PIN must not be your identity document number or part of it."),
            code="pin_document",
        )
    if _is_trivial(pin):
        raise ValidationError(
            _("The PIN is too easy to guess (repeated digits or a sequence such as 1234)."),
            code="pin_trivial",
        )


def pin_rules_text() -> str:
    return _(
        "From %(min)d to %(max)d digits; not your identity card number nor part of it; not "
        "repeated digits or sequences such as 1111 or 1234."
    ) % {"min": PIN_MIN_LENGTH, "max": PIN_MAX_LENGTH}


def pin_get(*, user: User) -> TransactionPin | None:
    return TransactionPin.objects.filter(user=user).first()


@transaction.atomic
def pin_set(*, user: User, pin: str, ip_address: str | None = None, notify: bool = True) -> None:
    """Create or replace the user's PIN after checking the rules. Refused while locked."""
    pin_validate(pin=pin, user=user)
    existing = TransactionPin.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.is_locked:
        raise ValidationError(pin_locked_message(), code="pin_locked")
    encoded = pin_hash(pin)
    now = timezone.now()
    if existing is None:
        TransactionPin.objects.create(user=user, pin_hash=encoded, changed_at=now)
        event = AccountEvent.PIN_CREATED
    else:
        existing.pin_hash = encoded
        existing.failed_attempts = 0
        existing.changed_at = now
        existing.save(update_fields=["pin_hash", "failed_attempts", "changed_at"])
        event = AccountEvent.PIN_CHANGED
    audit_record(actor=user, event=event, subject=user, new={"pin": "set"}, ip_address=ip_address)
    if notify:
        changed_notify(user=user, change=_("Your transaction PIN was changed."))


def pin_locked_message() -> str:
    return _(
        "Signing is blocked for security after three wrong PINs. To unblock it, visit the "
        "cooperative's office and ask the Auxiliar de Atención al Socio."
    )


# The PIN row locked for update, as ONE plain statement: every signature runs it (the
# ``select_for_update().filter().first()`` it replaces cost more CPU to build than to run).
# One row per user (a one-to-one); see progresonet.sql.
_PIN_FOR_UPDATE_SQL = "SELECT {p.columns} FROM {p} WHERE {p.user} = %s FOR UPDATE"


def _pin_locked_row(*, user: User) -> TransactionPin | None:
    """The user's PIN row under ``SELECT ... FOR UPDATE`` (inside the caller's transaction)."""
    found = names(TransactionPin).columns.read(
        sql(_PIN_FOR_UPDATE_SQL, p=TransactionPin), [user.pk]
    )
    return found[0] if found else None


def pin_check(*, user: User, pin: str, ip_address: str | None = None, reset: bool = True) -> bool:
    """Verify the PIN, counting consecutive failures; the third locks it and emails the member.

    ``reset=False`` leaves the strike count as it is on a right PIN: use it when a second
    secret (a device code) is asked with the PIN, and call :func:`pin_strikes_reset` only once
    that one is right too — otherwise a right PIN would wipe the strikes of every wrong code,
    and codes could be guessed without end.

    Runs in its own transaction: call it outside the caller's ``atomic`` block, or a failure
    strike would roll back with the caller's error.
    """
    with transaction.atomic():
        row = _pin_locked_row(user=user)
        if row is None or row.is_locked:
            return False
        if _pin_matches(row.pin_hash, pin or ""):
            if reset:
                strikes_clear(row=row, count_field="failed_attempts")
            if _hasher().check_needs_rehash(row.pin_hash):
                # Stored under other Argon2 parameters: move it to the current ones.
                row.pin_hash = pin_hash(pin)
                row.save(update_fields=["pin_hash"])
            return True
        pin_strike(row=row, ip_address=ip_address)
        return False


@transaction.atomic
def pin_strikes_reset(*, user: User) -> None:
    """Every secret of a signature was right: the consecutive-failure count starts again."""
    row = TransactionPin.objects.select_for_update().filter(user=user).first()
    if row is not None:
        strikes_clear(row=row, count_field="failed_attempts")


@transaction.atomic
def code_strike(*, user: User, ip_address: str | None = None) -> None:
    """A wrong one-time code (device or email) where the PIN's counter guards the action."""
    row = TransactionPin.objects.select_for_update().filter(user=user).first()
    if row is not None and not row.is_locked:
        pin_strike(row=row, ip_address=ip_address)


def pin_strike(*, row: TransactionPin, ip_address: str | None) -> None:
    """Count one failed signature (wrong PIN or wrong device code) on a locked row."""
    if strike_add(row=row, count_field="failed_attempts"):
        lock_audit(event=AccountEvent.PIN_LOCKED, user=row.user, locked=True, ip_address=ip_address)
        user_email_enqueue(
            user=row.user,
            subject=_("ProgresoNet: transaction signing blocked"),
            template="accounts/email/pin_locked",
            context={"user": row.user},
        )


@transaction.atomic
def pin_unlock(*, user: User, actor: User, ip_address: str | None = None) -> bool:
    """Staff action: let a member sign again after three wrong PINs. False if not locked."""
    row = TransactionPin.objects.select_for_update().filter(user=user).first()
    if row is None or not strike_unlock(row=row, count_field="failed_attempts"):
        return False
    lock_audit(
        event=AccountEvent.PIN_UNLOCKED, user=user, locked=False, actor=actor, ip_address=ip_address
    )
    return True


class PinLockedError(ValidationError):
    """Raised when a wrong PIN (or code) locked signing; the view explains the way out."""


def pin_change(*, user: User, current: str, new_pin: str, ip_address: str | None = None) -> None:
    """The member's own change: only the current PIN proves it.

    The PIN is a second secret, separate from the password: a stolen session plus the password
    must not be able to replace it (that is "¿Olvidó su PIN?", with an emailed or device code
    and a waiting period). A wrong current PIN is a signing strike. A member who has no PIN yet
    sets the first one with the password (a strike on the sign-in counter when wrong).
    """
    pin_validate(pin=new_pin, user=user)  # a bad new PIN costs no strike and spends nothing
    row = pin_get(user=user)
    if row is None:
        password_require(user=user, password=current, ip_address=ip_address)
        pin_set(user=user, pin=new_pin, ip_address=ip_address)
        return
    if row.is_locked:
        raise PinLockedError(pin_locked_message(), code="pin_locked")
    if not pin_check(user=user, pin=current, ip_address=ip_address):
        if pin_get(user=user).is_locked:
            raise PinLockedError(pin_locked_message(), code="pin_locked")
        raise ValidationError(_("The current PIN is not correct."), code="wrong")
    pin_set(user=user, pin=new_pin, ip_address=ip_address)
