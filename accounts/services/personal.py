"""'Configuración personal': the member's own changes to credentials, devices and data.

Each change runs in one transaction, writes one audit row (never a secret) and queues the
guide's confirmation email ("¡Listo! Sus datos han sido modificados…") through the outbox.
"""

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.events import AccountEvent
from accounts.models import SmsDevice, User
from audit.services import audit_record, client_ip
from outbox.services import email_enqueue

from .common import changed_notify
from .login import password_require
from .restriction import signing_restriction_start
from .sessions import SESSION_ROW_KEY, sessions_end, sessions_rehash
from .stepup import SecondFactorProof, second_factor_verify

EMAIL_TOKEN_SALT = "accounts.email_change"  # noqa: S105 - a signing namespace, not a secret
EMAIL_TOKEN_MAX_AGE = 60 * 60 * 24  # one day


def password_change(
    *, request: HttpRequest, user: User, current_password: str, new_password: str, end_others: bool
) -> int:
    """Check the current password (a sign-in strike when wrong: the third locks the user and
    ends every session), set the new one, rotate this session's key, and end (or keep) the
    other sessions. Returns how many other sessions were ended.
    """
    password_require(user=user, password=current_password, ip_address=client_ip(request))
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit_record(
            actor=user,
            event=AccountEvent.PASSWORD_CHANGED,
            subject=user,
            new={"password": "changed", "other_sessions_ended": end_others},
            ip_address=client_ip(request),
        )
        changed_notify(user=user, change=_("Your password was changed."))
    # Rotates the key and keeps this session signed in with the new password hash.
    update_session_auth_hash(request, user)
    current = request.session.session_key
    if end_others:
        return sessions_end(user=user, keep_key=current)
    sessions_rehash(user=user, keep_key=current)
    return 0


def session_rotate(*, request: HttpRequest) -> None:
    """New session key after a credential change; the old cookie stops working."""
    request.session.cycle_key()


@transaction.atomic
def profile_change(
    *, request: HttpRequest, user: User, mobile_phone: str, address: str
) -> list[str]:
    """Change the member's phone and address; return the names of the fields that changed."""
    member = user.member
    old = {"mobile_phone": member.mobile_phone, "address": member.address}
    new = {"mobile_phone": mobile_phone, "address": address}
    changed = [name for name in old if old[name] != new[name]]
    if not changed:
        return []
    for name in changed:
        setattr(member, name, new[name])
    member.save(update_fields=changed)
    audit_record(
        actor=user,
        event=AccountEvent.PROFILE_CHANGED,
        subject=member,
        old={k: old[k] for k in changed},
        new={k: new[k] for k in changed},
        ip_address=client_ip(request),
    )
    changed_notify(user=user, change=_("Your personal data (phone, address) was changed."))
    return changed


def _current_email(user: User) -> str:
    from .common import user_email

    return user_email(user)


@transaction.atomic
def email_change_request(*, request: HttpRequest, user: User, new_email: str) -> None:
    """Send a confirmation link to the new address and tell the old one.

    The token names the user, the new address and the current one: once the change is made,
    the current address differs and the link is spent (single use); it expires in a day.
    """
    current = _current_email(user)
    token = signing.dumps(
        {"u": user.pk, "new": new_email, "old": current}, salt=EMAIL_TOKEN_SALT, compress=True
    )
    link = request.build_absolute_uri(reverse("accounts:email_confirm", args=[token]))
    email_enqueue(
        to=new_email,
        subject=_("ProgresoNet: confirm your new email address"),
        template="accounts/email/email_confirm",
        context={"user": user, "link": link},
    )
    if current:
        email_enqueue(
            to=current,
            subject=_("ProgresoNet: change of email address requested"),
            template="accounts/email/email_change_notice",
            context={"user": user, "new_email": new_email},
        )
    audit_record(
        actor=user,
        event=AccountEvent.EMAIL_CHANGE_REQUESTED,
        subject=user,
        new={"email": new_email},
        ip_address=client_ip(request),
    )


class EmailTokenError(Exception):
    pass


@transaction.atomic
def email_change_confirm(*, request: HttpRequest, user: User, token: str) -> str:
    """Apply a confirmed email change; raise ``EmailTokenError`` for a bad, spent or expired
    link, or one issued to another user."""
    try:
        data = signing.loads(token, salt=EMAIL_TOKEN_SALT, max_age=EMAIL_TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise EmailTokenError from None
    locked = User.objects.select_for_update(of=("self",)).select_related("member").get(pk=user.pk)
    current = _current_email(locked)
    if data.get("u") != locked.pk or not constant_time_compare(data.get("old", ""), current):
        raise EmailTokenError
    new_email = data["new"]
    locked.email = new_email
    locked.save(update_fields=["email"])
    if locked.member is not None:
        locked.member.email = new_email
        locked.member.save(update_fields=["email"])
    audit_record(
        actor=locked,
        event=AccountEvent.EMAIL_CHANGED,
        subject=locked,
        old={"email": current},
        new={"email": new_email},
        ip_address=client_ip(request),
    )
    changed_notify(user=locked, change=_("Your email address was changed."))
    if current:
        email_enqueue(
            to=current,
            subject=_("ProgresoNet: your data was changed"),
            template="accounts/email/changed",
            context={"user": locked, "change": _("Your email address was changed.")},
        )
    return new_email


# Security devices -------------------------------------------------------------------------


def totp_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (created on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="ProgresoNet", confirmed=False)
    return device


def totp_qr_data_uri(*, device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code, drawn on the server (no third-party service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def totp_secret_text(*, device: TOTPDevice) -> str:
    """The key in base32, grouped, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@dataclass(frozen=True)
class _DeviceKind:
    """A kind of second-factor device: its model, its audit events and the words of the
    change notice when one is registered or removed."""

    model: type
    name: str
    enrolled: str
    removed: str
    enrolled_change: Promise
    removed_change: Promise
    audit_new: Callable[[Any], dict] = lambda device: {}


_TOTP = _DeviceKind(
    model=TOTPDevice,
    name="totp",
    enrolled=AccountEvent.DEVICE_TOTP_ENROLLED,
    removed=AccountEvent.DEVICE_TOTP_REMOVED,
    enrolled_change=gettext_lazy("A security device (authenticator app) was registered."),
    removed_change=gettext_lazy("Your security device (authenticator app) was removed."),
)
_SMS = _DeviceKind(
    model=SmsDevice,
    name="sms",
    enrolled=AccountEvent.DEVICE_SMS_ENROLLED,
    removed=AccountEvent.DEVICE_SMS_REMOVED,
    enrolled_change=gettext_lazy("An SMS token was set up for your mobile phone."),
    removed_change=gettext_lazy("Your SMS token was removed."),
    audit_new=lambda device: {"number": device.number},
)


def _device_confirm(
    *, request: HttpRequest, user: User, kind: _DeviceKind, code: str, proof: SecondFactorProof
) -> bool:
    """Confirm the user's pending device of ``kind`` with its first valid code; it replaces
    any confirmed one of the same kind. Needs ``proof`` (the current PIN and a code from the
    existing device, or the password and an emailed code): a session alone never swaps the
    second factor. Audited, emailed, starts the own-accounts-only window, rotates the key.

    False if the new device's code is wrong; ``ValidationError`` if the proof is.
    """
    model, event, change = kind.model, kind.enrolled, str(kind.enrolled_change)
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=False).first()
        # The new device's code first: a typo there spends none of the member's proof.
        if device is None or not device.verify_token(code.strip()):
            return False
    ip_address = client_ip(request)
    second_factor_verify(user=user, proof=proof, ip_address=ip_address)
    with transaction.atomic():
        device = model.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        if device is None:
            return False
        model.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user,
            event=event,
            subject=user,
            new={"device": kind.name, **kind.audit_new(device)},
            ip_address=ip_address,
        )
        changed_notify(user=user, change=change)
        signing_restriction_start(user=user, reason=event, change=change, ip_address=ip_address)
    session_rotate(request=request)
    return True


def _device_remove(
    *, request: HttpRequest, user: User, kind: _DeviceKind, proof: SecondFactorProof
) -> bool:
    model, event, change = kind.model, kind.removed, str(kind.removed_change)
    if not model.objects.filter(user=user, confirmed=True).exists():
        return False
    ip_address = client_ip(request)
    second_factor_verify(user=user, proof=proof, ip_address=ip_address)
    with transaction.atomic():
        deleted, _detail = model.objects.filter(user=user).delete()
        if not deleted:
            return False
        audit_record(
            actor=user, event=event, subject=user, old={"device": kind.name}, ip_address=ip_address
        )
        changed_notify(user=user, change=change)
        signing_restriction_start(user=user, reason=event, change=change, ip_address=ip_address)
    return True


def totp_confirm(*, request: HttpRequest, user: User, code: str, proof: SecondFactorProof) -> bool:
    """Confirm the pending authenticator with its first valid code; it replaces any other."""
    return _device_confirm(request=request, user=user, kind=_TOTP, code=code, proof=proof)


def totp_remove(*, request: HttpRequest, user: User, proof: SecondFactorProof) -> bool:
    return _device_remove(request=request, user=user, kind=_TOTP, proof=proof)


SMS_RESEND_SECONDS = 60
SMS_CODE_SECONDS = 300


@transaction.atomic
def sms_device_start(*, user: User, number: str) -> SmsDevice:
    """Register a number (unconfirmed) and send it a code; at most one code a minute, so the
    page cannot be used to flood a phone (or the cooperative's SMS bill)."""
    pending = SmsDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if pending is not None and pending.token:
        sent_at = pending.valid_until - timedelta(seconds=SMS_CODE_SECONDS)
        if timezone.now() < sent_at + timedelta(seconds=SMS_RESEND_SECONDS):
            raise ValidationError(
                _("A code was sent less than a minute ago. Wait a moment before asking again."),
                code="sms_too_soon",
            )
    SmsDevice.objects.filter(user=user, confirmed=False).delete()
    device = SmsDevice.objects.create(user=user, name="SMS", number=number, confirmed=False)
    device.generate_challenge()
    return device


def sms_device_confirm(
    *, request: HttpRequest, user: User, code: str, proof: SecondFactorProof
) -> bool:
    return _device_confirm(request=request, user=user, kind=_SMS, code=code, proof=proof)


def sms_device_remove(*, request: HttpRequest, user: User, proof: SecondFactorProof) -> bool:
    return _device_remove(request=request, user=user, kind=_SMS, proof=proof)


__all__ = [
    "SESSION_ROW_KEY",
    "EmailTokenError",
    "email_change_confirm",
    "email_change_request",
    "password_change",
    "profile_change",
    "session_rotate",
    "sms_device_confirm",
    "sms_device_remove",
    "sms_device_start",
    "totp_confirm",
    "totp_pending",
    "totp_qr_data_uri",
    "totp_remove",
    "totp_secret_text",
]
