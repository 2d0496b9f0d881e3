"""'Configuración personal': every change is emailed through the outbox and audited."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SmsDevice, User
from audit.models import AuditEvent
from outbox.delivery import outbox_relay_due
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

LISTO = "¡Listo! Sus datos han sido modificados"


def _changed_mails(to):
    return OutboxMessage.objects.filter(recipient=to, body_text__contains=LISTO)


def _emailed_code(client, url, to):
    """Ask the page for an emailed one-time code (a device change needs one without a device)."""
    import re

    client.post(url, {"send_email_code": "1"})
    body = OutboxMessage.objects.filter(recipient=to, subject__contains="un solo uso").latest("pk")
    return re.search(r"\b(\d{6})\b", body.body_text).group(1)


def test_settings_page_shows_the_guide_words(logged_client):
    body = logged_client.get(reverse("accounts:settings")).content.decode()
    for words in (
        "Configuración personal",
        "Último acceso",
        "Último cambio de contraseña",
        "Cambiar contraseña",
        "Cambiar PIN",
        "Cambiar dispositivo de seguridad",
        "Cambiar datos personales",
        "Configurar SMS token",
        "Sesiones abiertas",
        "Últimos ingresos",
    ):
        assert words in body


class TestPasswordChange:
    url = reverse("accounts:password_change")

    def _post(self, client, **overrides):
        data = {
            "current_password": "Cancionero45",
            "new_password1": "Montaña2027x",
            "new_password2": "Montaña2027x",
            "end_other_sessions": "on",
        }
        data.update(overrides)
        return client.post(self.url, data)

    def test_change_rotates_key_ends_other_sessions_emails_and_audits(
        self, client, member_user, django_capture_on_commit_callbacks
    ):
        from django.test import Client

        other = Client()
        other.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
        client.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
        key_before = client.cookies["sessionid"].value
        with django_capture_on_commit_callbacks(execute=True):
            response = self._post(client)
        assert response.status_code == 302
        assert client.cookies["sessionid"].value != key_before
        member_user.refresh_from_db()
        assert member_user.check_password("Montaña2027x")
        assert member_user.password_changed_at is not None
        assert client.get(reverse("accounts:settings")).status_code == 200
        # The other browser was signed out on the server.
        assert other.get(reverse("accounts:settings")).status_code == 302
        assert _changed_mails(member_user.member.email).count() == 1
        assert any(LISTO in m.body for m in mail.outbox)
        event = AuditEvent.objects.get(event="password.changed")
        assert "Montaña2027x" not in json.dumps(event.new)

    def test_keeping_other_sessions_is_possible(self, client, member_user):
        from django.test import Client

        other = Client()
        other.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
        client.post(reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"})
        data = {
            "current_password": "Cancionero45",
            "new_password1": "Montaña2027x",
            "new_password2": "Montaña2027x",
        }
        assert client.post(self.url, data).status_code == 302
        assert other.get(reverse("accounts:settings")).status_code == 200

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"current_password": "Mala12345"}, "La contraseña actual no es correcta"),
            ({"new_password2": "Otra2027xx"}, "no coinciden"),
            ({"new_password1": "corta1", "new_password2": "corta1"}, "entre 8 y 12"),
            ({"new_password1": "Cancionero45", "new_password2": "Cancionero45"}, "distinta"),
        ],
    )
    def test_bad_input_changes_nothing(self, logged_client, member_user, overrides, message):
        response = self._post(logged_client, **overrides)
        assert response.status_code == 200
        assert message in response.content.decode()
        member_user.refresh_from_db()
        assert member_user.check_password("Cancionero45")
        assert not OutboxMessage.objects.exists()
        assert not AuditEvent.objects.exists()


class TestProfileChange:
    url = reverse("accounts:profile_change")

    def test_phone_and_address(self, logged_client, member_user):
        response = logged_client.post(
            self.url,
            {"email": member_user.member.email, "mobile_phone": "70000001", "address": "Calle 1"},
        )
        assert response.status_code == 302
        member_user.member.refresh_from_db()
        assert member_user.member.mobile_phone == "70000001"
        assert member_user.member.address == "Calle 1"
        event = AuditEvent.objects.get(event="profile.changed")
        assert event.new == {"mobile_phone": "70000001", "address": "Calle 1"}
        assert _changed_mails(member_user.member.email).count() == 1

    def test_bad_phone_changes_nothing(self, logged_client, member_user):
        response = logged_client.post(
            self.url, {"email": member_user.member.email, "mobile_phone": "12", "address": "X"}
        )
        assert response.status_code == 200
        assert "7 a 15 dígitos" in response.content.decode()
        assert not AuditEvent.objects.exists()

    def test_new_email_confirmed_by_link_old_address_told(self, logged_client, member_user):
        old = member_user.member.email
        logged_client.post(
            self.url,
            {
                "email": "nuevo@example.com",
                "mobile_phone": member_user.member.mobile_phone or "70000001",
                "address": member_user.member.address or "Calle 1",
            },
        )
        member_user.refresh_from_db()
        assert member_user.member.email == old  # not yet
        confirm = OutboxMessage.objects.get(recipient="nuevo@example.com")
        assert OutboxMessage.objects.filter(recipient=old, body_text__contains="nuevo@").exists()
        link = next(w for w in confirm.body_text.split() if "/configuracion/correo/" in w)
        path = link.split("testserver", 1)[1]
        # A tampered link is refused and changes nothing.
        bad = logged_client.get(path[:-3] + "abc/", follow=True)
        assert "no es válido" in bad.content.decode()
        assert logged_client.get(path).status_code == 302
        member_user.refresh_from_db()
        member_user.member.refresh_from_db()
        assert member_user.member.email == "nuevo@example.com"
        assert AuditEvent.objects.get(event="email.changed").old == {"email": old}
        assert _changed_mails("nuevo@example.com").exists()
        assert _changed_mails(old).exists()
        # Single use: the same link again is refused.
        again = logged_client.get(path, follow=True)
        assert "no es válido" in again.content.decode()

    def test_email_link_of_another_user_is_refused(self, client, member_user):
        from django.core import signing

        from accounts.services.personal import EMAIL_TOKEN_SALT
        from tests.factories import make_user

        other = make_user(username="otro", email="otro@example.com")
        token = signing.dumps(
            {"u": other.pk, "new": "x@example.com", "old": "otro@example.com"},
            salt=EMAIL_TOKEN_SALT,
            compress=True,
        )
        client.force_login(member_user)
        client.get(reverse("accounts:email_confirm", args=[token]))
        other.refresh_from_db()
        assert other.email == "otro@example.com"


def test_totp_enrolment_with_a_real_code(logged_client, member_user):
    url = reverse("accounts:device_change")
    page = logged_client.get(url).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=member_user, confirmed=False)
    # No device and no PIN yet: the password and an emailed code prove it is the member
    # (issue 12: a session alone must not enrol a device).
    email_code = _emailed_code(logged_client, url, member_user.member.email)
    proof = {"enrol-password": "Cancionero45", "enrol-email_code": email_code}
    wrong = logged_client.post(url, {"enrol": "1", "code": "000000", **proof})
    assert "no es válido" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=member_user, confirmed=True).exists()
    # django-otp throttles after a failure (1 s, doubling); the member tries again later.
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        code = f"{totp(device.bin_key):06d}"
        response = logged_client.post(url, {"enrol": "1", "code": code, **proof})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(event="device.totp_enrolled").exists()
    assert _changed_mails(member_user.member.email).count() == 1
    # Removal needs the password (no PIN yet) and a code from the device itself.
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=False):
        code = f"{totp(device.bin_key):06d}"
        refused = logged_client.post(
            url, {"remove": "1", "remove-password": "Mala", "remove-device_code": code}
        )
        assert refused.status_code == 200
        assert TOTPDevice.objects.filter(user=member_user, confirmed=True).exists()
        logged_client.post(
            url, {"remove": "1", "remove-password": "Cancionero45", "remove-device_code": code}
        )
    assert not TOTPDevice.objects.filter(user=member_user, confirmed=True).exists()
    assert AuditEvent.objects.filter(event="device.totp_removed").exists()


def test_sms_device_through_the_development_gateway(logged_client, member_user, settings, tmp_path):
    settings.SMS_OUTBOX_FILE = str(tmp_path / "sms.jsonl")
    url = reverse("accounts:sms_token")
    logged_client.post(url, {"send": "1", "number": "71234567"})
    outbox_relay_due()  # the relay hands the SMS to the configured file gateway
    lines = (tmp_path / "sms.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["to"] == "71234567"
    code = next(w for w in record["text"].split() if w.rstrip(".").isdigit()).rstrip(".")
    # A second code within the minute is refused (no SMS flooding).
    again = logged_client.post(url, {"send": "1", "number": "71234567"})
    assert "menos de un minuto" in again.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    wrong = logged_client.post(url, {"confirm": "1", "code": "000000" if code != "000000" else "1"})
    assert wrong.status_code == 200
    # No device and no PIN yet: the password and an emailed code (issue 12).
    email_code = _emailed_code(logged_client, url, member_user.member.email)
    proof = {"confirm-password": "Cancionero45", "confirm-email_code": email_code}
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        response = logged_client.post(url, {"confirm": "1", "code": code, **proof})
    assert response.status_code == 302
    device = SmsDevice.objects.get(user=member_user)
    assert device.confirmed and device.number == "71234567"
    assert AuditEvent.objects.filter(event="device.sms_enrolled").exists()
    assert _changed_mails(member_user.member.email).count() == 1
    # A code is single-use.
    assert device.verify_token(code) is False


def test_locked_user_existing_session_stops_working(logged_client, member_user):
    User.objects.filter(pk=member_user.pk).update(locked_at="2026-01-01T00:00:00Z")
    assert logged_client.get(reverse("accounts:settings")).status_code == 302
