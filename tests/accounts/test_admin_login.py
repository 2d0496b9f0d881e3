"""The admin login never confirms the password before the code: one form, one Spanish message.

django-otp's form answered a right password with a device list and "Please select a device."
(English), which told a guesser the password was right. Every failing combination here must
produce the same page.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
CHANGELIST = reverse("admin:accounts_user_changelist")
REFUSED = "El usuario, la contraseña o el código de verificación no son correctos."
# English (or django-otp's odd Spanish) that must not reach a staff member's screen.
FOREIGN = [
    "Please",
    "select a device",
    "OTP Token",
    "OTP Device",
    "Token OTP",
    "Dispositivo OTP",
    "Obtenga reto",
    "Get OTP Challenge",
    "Log in",
    "Username",
    "Password",
    "Invalid token",
    "correct the error",
]


@pytest.fixture
def device(staff_user):
    return TOTPDevice.objects.create(user=staff_user, name="app", confirmed=True)


def _post(client, username="clerk", password="Auxiliar2026", **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _page(response) -> str:
    """The page without what differs between any two renders (the CSRF token)."""
    body = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def _later():
    # django-otp throttles a device briefly after each wrong code; step past it.
    return time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False)


def test_every_failure_shows_the_same_page_and_message(client, device, staff_user):
    attempts = {
        "unknown user": lambda: _post(client, username="nadie", otp_token="123456"),
        "wrong password": lambda: _post(client, password="Equivocada1", otp_token="123456"),
        "right password, no code": lambda: _post(client),
        "right password, wrong code": lambda: _post(client, otp_token="000000"),
        "right password, device chosen, no code": lambda: _post(
            client, otp_device=device.persistent_id
        ),
        "right password, junk code": lambda: _post(client, otp_token="abc"),
        "right password, otp challenge": lambda: _post(client, otp_challenge="1"),
    }
    pages = {}
    for name, attempt in attempts.items():
        response = attempt()
        assert response.status_code == 200, name
        errors = response.context["form"].non_field_errors()
        assert list(errors) == [REFUSED], (name, errors)
        assert not response.context["form"].errors.get("otp_token"), name
        page = _page(response).replace('value="nadie"', 'value="clerk"')
        assert "Auxiliar2026" not in page, name  # the password is never echoed back
        pages[name] = page
        User.objects.filter(pk=staff_user.pk).update(failed_login_count=0)
    reference = pages["wrong password"]
    for name, page in pages.items():
        assert page == reference, f"{name!r} differs from a wrong password"


def test_the_login_page_is_all_spanish(client, device):
    for response in (client.get(LOGIN), _post(client, otp_token="000000")):
        page = response.content.decode()
        for text in FOREIGN:
            assert text not in page, text
        for label in ("Usuario", "Contraseña", "Código de verificación"):
            assert label in page


def test_right_password_and_code_sign_in_verified(client, device):
    with _later():
        response = _post(client, otp_token=f"{totp(device.bin_key):06d}")
        assert response.status_code == 302, response.context["form"].errors
        assert client.get(CHANGELIST).status_code == 200


def test_a_backup_code_signs_in_once(client, staff_user):
    static = StaticDevice.objects.create(user=staff_user, name="backup", confirmed=True)
    StaticToken.objects.create(device=static, token="respaldo1")
    assert _post(client, otp_token="respaldo1").status_code == 302
    client.logout()
    with _later():
        assert _post(client, otp_token="respaldo1").status_code == 200


def test_a_member_without_staff_status_gets_the_same_message(client, member_user):
    TOTPDevice.objects.create(user=member_user, name="app", confirmed=True)
    response = _post(client, username="socio1", password="Cancionero45", otp_token="000000")
    assert list(response.context["form"].non_field_errors()) == [REFUSED]


def test_another_users_device_is_never_used(client, device):
    User.objects.create_user(username="otro", password="Otra12345", is_staff=True)
    with _later():
        response = _post(
            client,
            username="otro",
            password="Otra12345",
            otp_device=device.persistent_id,
            otp_token=f"{totp(device.bin_key):06d}",
        )
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [REFUSED]
