"""Proof for changing the second factor: a forgotten PIN, and enrolling or removing a device.

A session alone must never swap the second factor, or a hijacked session plus one phished
secret owns the member's signature. So:

- **Enrolling, replacing or removing a security device** needs the current PIN *and* a code
  from the device the member already has (the one signing uses); a member with no device gives
  the password and a code emailed to the registered address instead (plus the PIN if they have
  one). :func:`second_factor_verify`.
- **"¿Olvidó su PIN?"** needs the password *and* a one-time code from the enrolled device or
  emailed to the registered address. :func:`pin_reset`.

Either change then restricts the member to own-account transfers for
``settings.PIN_RESET_RESTRICTION_HOURS`` and emails them at once
(:mod:`accounts.services.restriction`).

Every secret asked here counts on the existing counters: a wrong password is a sign-in strike
(:func:`accounts.services.login.password_verify`), a wrong PIN or a wrong code a signing strike
(:mod:`accounts.services.pin`); a right PIN clears the signing strikes only once every code is
right too. These functions run their checks in their own transactions: call them outside any
``atomic`` block.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import EmailCode, SmsDevice, User

from .common import user_email
from .login import password_require
from .pin import (
    PinLockedError,
    code_strike,
    pin_check,
    pin_get,
    pin_locked_message,
    pin_set,
    pin_strikes_reset,
    pin_validate,
)
from .restriction import signing_restriction_start

RESEND_SECONDS = 60


@dataclass(frozen=True)
class SecondFactorProof:
    """What the member typed to prove it is them (empty strings for fields not asked)."""

    pin: str = ""
    device_code: str = ""
    password: str = ""
    email_code: str = ""


@dataclass(frozen=True)
class ProofNeeds:
    """Which fields the proof must carry for this member right now."""

    pin: bool
    device: Any  # the confirmed TOTPDevice or SmsDevice, or None
    password: bool
    email_code: bool


def proof_needs(*, user: User) -> ProofNeeds:
    from accounts.signing import signature_device  # signing imports the pin service

    has_pin = pin_get(user=user) is not None
    device = signature_device(user=user)
    return ProofNeeds(
        pin=has_pin,
        device=device,
        password=not has_pin or device is None,
        email_code=device is None,
    )


def _too_soon(valid_until, valid_secs: int) -> bool:
    if valid_until is None:
        return False
    sent_at = valid_until - timedelta(seconds=valid_secs)
    return timezone.now() < sent_at + timedelta(seconds=RESEND_SECONDS)


def _too_soon_error() -> ValidationError:
    return ValidationError(
        _("A code was sent less than a minute ago. Wait a moment before asking again."),
        code="code_too_soon",
    )


@transaction.atomic
def email_code_send(*, user: User) -> None:
    """Email a fresh one-time code to the registered address (at most one a minute)."""
    if not user_email(user):
        raise ValidationError(
            _("There is no email address registered for your user. Visit the cooperative."),
            code="no_email",
        )
    row = EmailCode.objects.select_for_update().filter(user=user).first()
    if row is not None and row.token and _too_soon(row.valid_until, 600):
        raise _too_soon_error()
    EmailCode.objects.filter(user=user).delete()
    EmailCode.objects.create(user=user, name="email", confirmed=False).generate_challenge()


@transaction.atomic
def device_code_send(*, user: User) -> None:
    """Send a code to the member's SMS token (an authenticator app needs nothing sent)."""
    device = proof_needs(user=user).device
    if not isinstance(device, SmsDevice):
        return
    device = SmsDevice.objects.select_for_update().get(pk=device.pk)
    if device.token and _too_soon(device.valid_until, 300):
        raise _too_soon_error()
    device.generate_challenge()


def _email_code_ok(*, user: User, code: str) -> bool:
    if not code:
        return False
    with transaction.atomic():
        row = EmailCode.objects.select_for_update().filter(user=user).first()
        return row is not None and row.verify_token(code.strip())


def _device_code_ok(*, device: Any, code: str) -> bool:
    # django-otp's verify_token refuses replays (TOTP remembers the last step used).
    return device is not None and bool(code) and device.verify_token(code.strip())


def _code_refused(*, user: User, ip_address: str | None, message: str) -> None:
    code_strike(user=user, ip_address=ip_address)
    row = pin_get(user=user)
    if row is not None and row.is_locked:
        raise PinLockedError(pin_locked_message(), code="pin_locked")
    raise ValidationError(message, code="code_wrong")


def second_factor_verify(
    *, user: User, proof: SecondFactorProof, ip_address: str | None = None
) -> None:
    """Raise ``ValidationError`` unless ``proof`` carries every secret :func:`proof_needs` asks.

    Checked in order PIN, password, device code, emailed code; the first wrong one stops the
    check (so a one-time code is not spent on a wrong PIN) and counts its strike.
    """
    needs = proof_needs(user=user)
    row = pin_get(user=user)
    if row is not None and row.is_locked:
        raise PinLockedError(pin_locked_message(), code="pin_locked")
    if needs.pin and not pin_check(user=user, pin=proof.pin, ip_address=ip_address, reset=False):
        if pin_get(user=user).is_locked:
            raise PinLockedError(pin_locked_message(), code="pin_locked")
        raise ValidationError(_("The current PIN is not correct."), code="pin_wrong")
    if needs.password:
        password_require(user=user, password=proof.password, ip_address=ip_address)
    if needs.device is not None and not _device_code_ok(
        device=needs.device, code=proof.device_code
    ):
        _code_refused(
            user=user,
            ip_address=ip_address,
            message=_("The code of your current security device is not valid or was used."),
        )
    if needs.email_code and not _email_code_ok(user=user, code=proof.email_code):
        _code_refused(
            user=user,
            ip_address=ip_address,
            message=_("The code sent to your email is not valid, has expired or was used."),
        )
    pin_strikes_reset(user=user)


def pin_reset(
    *, user: User, password: str, code: str, new_pin: str, ip_address: str | None = None
) -> None:
    """ "¿Olvidó su PIN?": the password and a one-time code (device or email) set a new PIN.

    Then only own-account transfers may be signed for the waiting period, and the member is
    emailed at once. A PIN blocked by wrong attempts stays blocked (the office unblocks it).
    """
    pin_validate(pin=new_pin, user=user)  # a bad new PIN spends no code and costs no strike
    row = pin_get(user=user)
    if row is None:
        raise ValidationError(_("You have no PIN yet: create it in “Cambiar PIN”."), code="no_pin")
    if row.is_locked:
        raise PinLockedError(pin_locked_message(), code="pin_locked")
    password_require(user=user, password=password, ip_address=ip_address)
    device = proof_needs(user=user).device
    if not (_device_code_ok(device=device, code=code) or _email_code_ok(user=user, code=code)):
        _code_refused(
            user=user,
            ip_address=ip_address,
            message=_("The one-time code is not valid, has expired or was used."),
        )
    with transaction.atomic():
        pin_set(user=user, pin=new_pin, ip_address=ip_address, notify=False)
        signing_restriction_start(
            user=user,
            reason="pin.reset",
            change=_("Your transaction PIN was reset with the “Forgot your PIN?” option."),
            ip_address=ip_address,
        )
