"""Issue 12, found by reading the code: a session alone swapped the second factor.

Enrolling, replacing or removing a security device needs the current PIN and a code from the
existing device (or, with no device, the password and an emailed code), and starts the same
own-accounts-only window as a PIN reset."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SmsDevice, TransactionPin
from accounts.selectors import signing_restriction_until
from accounts.services.pin import pin_set
from accounts.signing import signature_device
from audit.models import AuditEvent
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

URL = reverse("accounts:device_change")
SMS_URL = reverse("accounts:sms_token")


def _later(seconds):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def _code(device):
    return f"{totp(device.bin_key):06d}"


@pytest.fixture
def enrolled(member_user):
    """A member with a PIN and an authenticator app (the victim)."""
    pin_set(user=member_user, pin="7392", notify=False)
    return TOTPDevice.objects.create(user=member_user, name="mine", confirmed=True)


def _pending(client, user):
    client.get(URL)
    return TOTPDevice.objects.get(user=user, confirmed=False)


def _nothing_changed(user, old_device):
    assert TOTPDevice.objects.filter(pk=old_device.pk, confirmed=True).exists()
    assert signature_device(user=user) == old_device
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert signing_restriction_until(user=user) is None
    assert not AuditEvent.objects.filter(event__startswith="device.").exists()


def test_session_and_pin_alone_cannot_enrol_the_attackers_device(logged_client, enrolled):
    """The attack: a hijacked session plus a phished PIN enrols the attacker's app."""
    user = enrolled.user
    attacker = _pending(logged_client, user)
    with _later(30):
        response = logged_client.post(
            URL, {"enrol": "1", "code": _code(attacker), "enrol-pin": "7392"}
        )
    assert response.status_code == 200
    _nothing_changed(user, enrolled)
    # Guessing the victim's device code costs signing strikes: the third blocks signing.
    for i, guess in enumerate(("000001", "000002", "000003")):
        with _later(60 + 30 * i):
            logged_client.post(
                URL,
                {
                    "enrol": "1",
                    "code": _code(attacker),
                    "enrol-pin": "7392",
                    "enrol-device_code": guess,
                },
            )
    assert TransactionPin.objects.get(user=user).is_locked
    _nothing_changed(user, enrolled)


def test_session_and_pin_alone_cannot_remove_the_device(logged_client, enrolled):
    response = logged_client.post(URL, {"remove": "1", "remove-pin": "7392"})
    assert response.status_code == 200
    _nothing_changed(enrolled.user, enrolled)


def test_replacing_with_pin_and_a_code_from_the_current_device(logged_client, enrolled):
    user = enrolled.user
    new = _pending(logged_client, user)
    with _later(30):
        response = logged_client.post(
            URL,
            {
                "enrol": "1",
                "code": _code(new),
                "enrol-pin": "7392",
                "enrol-device_code": _code(enrolled),
            },
        )
    assert response.status_code == 302
    assert signature_device(user=user) == new
    assert not TOTPDevice.objects.filter(pk=enrolled.pk).exists()
    assert signing_restriction_until(user=user) is not None
    event = AuditEvent.objects.get(event="signing.restricted")
    assert event.new["reason"] == "device.totp_enrolled"
    assert OutboxMessage.objects.filter(
        recipient=user.member.email, subject__contains="cambio de seguridad"
    ).exists()


def test_a_wrong_pin_spends_no_device_code(logged_client, enrolled):
    user = enrolled.user
    new = _pending(logged_client, user)
    with _later(30):
        proof = {"enrol-device_code": _code(enrolled)}
        wrong = logged_client.post(
            URL, {"enrol": "1", "code": _code(new), "enrol-pin": "0000", **proof}
        )
        assert "El PIN actual no es correcto" in wrong.content.decode()
    with _later(60):
        proof = {"enrol-device_code": _code(enrolled), "enrol-pin": "7392"}
        assert (
            logged_client.post(URL, {"enrol": "1", "code": _code(new), **proof}).status_code == 302
        )
    assert TransactionPin.objects.get(user=user).failed_attempts == 0


def test_removing_with_pin_and_device_code(logged_client, enrolled):
    with _later(30):
        response = logged_client.post(
            URL, {"remove": "1", "remove-pin": "7392", "remove-device_code": _code(enrolled)}
        )
    assert response.status_code == 302
    assert signature_device(user=enrolled.user) is None
    assert AuditEvent.objects.get(event="signing.restricted").new["reason"] == "device.totp_removed"


def test_first_device_needs_pin_password_and_emailed_code(logged_client, member_user):
    pin_set(user=member_user, pin="7392", notify=False)
    new = _pending(logged_client, member_user)
    page = logged_client.get(URL).content.decode()
    assert "Enviar código a mi correo" in page and "Contraseña actual" in page
    # PIN alone, or PIN and password without the mailbox: refused.
    with _later(30):
        refused = logged_client.post(
            URL,
            {
                "enrol": "1",
                "code": _code(new),
                "enrol-pin": "7392",
                "enrol-password": "Cancionero45",
                "enrol-email_code": "123456",
            },
        )
    assert refused.status_code == 200
    assert signature_device(user=member_user) is None
    logged_client.post(URL, {"send_email_code": "1"})
    mail = OutboxMessage.objects.filter(subject__contains="un solo uso").latest("pk")
    emailed = re.search(r"\b(\d{6})\b", mail.body_text).group(1)
    with _later(60):
        response = logged_client.post(
            URL,
            {
                "enrol": "1",
                "code": _code(new),
                "enrol-pin": "7392",
                "enrol-password": "Cancionero45",
                "enrol-email_code": emailed,
            },
        )
    assert response.status_code == 302
    assert signature_device(user=member_user) == new
    assert signing_restriction_until(user=member_user) is not None


def test_sms_token_needs_a_code_from_the_current_device(
    logged_client, enrolled, settings, tmp_path
):
    """Setting up an SMS token while an app is enrolled: the app's code is asked."""
    settings.SMS_OUTBOX_FILE = str(tmp_path / "sms.jsonl")
    user = enrolled.user
    logged_client.post(SMS_URL, {"send": "1", "number": "71234567"})
    sms = OutboxMessage.objects.filter(channel="sms").latest("pk")
    sms_code = re.search(r"\b(\d{6})\b", sms.body_text).group(1)
    with _later(30):
        refused = logged_client.post(
            SMS_URL, {"confirm": "1", "code": sms_code, "confirm-pin": "7392"}
        )
    assert refused.status_code == 200
    assert not SmsDevice.objects.filter(user=user, confirmed=True).exists()
    with _later(60):
        response = logged_client.post(
            SMS_URL,
            {
                "confirm": "1",
                "code": sms_code,
                "confirm-pin": "7392",
                "confirm-device_code": _code(enrolled),
            },
        )
    assert response.status_code == 302
    assert SmsDevice.objects.filter(user=user, confirmed=True).exists()
    assert signing_restriction_until(user=user) is not None
