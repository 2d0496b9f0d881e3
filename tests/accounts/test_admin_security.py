"""The admin requires a verified OTP device; staff unlock users and signing, with permission
and audit; OTP secrets never show."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TransactionPin, User
from accounts.services.pin import pin_set
from audit.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


def _locked_user():
    user = make_user(username="bloqueado", password="Cancionero45")
    User.objects.filter(pk=user.pk).update(locked_at="2026-01-01T00:00:00Z", failed_login_count=3)
    return user


def test_admin_needs_a_verified_device(client, staff_user):
    client.force_login(staff_user)  # password only
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_admin_login_with_password_and_totp_code(client, staff_user):
    device = TOTPDevice.objects.create(user=staff_user, name="app", confirmed=True)
    wrong = client.post(
        reverse("admin:login"),
        {
            "username": "clerk",
            "password": "Auxiliar2026",
            "otp_device": device.persistent_id,
            "otp_token": "000000",
        },
    )
    assert wrong.status_code == 200
    # django-otp throttles the device for a moment after a wrong code.
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        response = client.post(
            reverse("admin:login"),
            {
                "username": "clerk",
                "password": "Auxiliar2026",
                "otp_device": device.persistent_id,
                "otp_token": f"{totp(device.bin_key):06d}",
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        assert client.get(CHANGELIST).status_code == 200


def test_staff_client_reaches_the_admin(staff_client):
    assert staff_client.get(CHANGELIST).status_code == 200


def test_locked_filter_and_unlock_action(staff_client, staff_user, member_user):
    locked = _locked_user()
    page = staff_client.get(CHANGELIST, {"locked": "yes"}).content.decode()
    assert "bloqueado" in page
    assert "socio1" not in page
    response = staff_client.post(
        CHANGELIST, {"action": "unlock_users", "_selected_action": [locked.pk, member_user.pk]}
    )
    assert response.status_code == 302
    locked.refresh_from_db()
    assert locked.locked_at is None and locked.failed_login_count == 0
    events = AuditEvent.objects.filter(event="user.unlocked")
    assert [e.subject for e in events] == [f"accounts.user:{locked.pk}"]
    assert events[0].actor == staff_user


def test_unlock_signing_action(staff_client, member_user):
    pin_set(user=member_user, pin="7392", notify=False)
    TransactionPin.objects.filter(user=member_user).update(locked_at="2026-01-01T00:00:00Z")
    staff_client.post(
        CHANGELIST, {"action": "unlock_signing", "_selected_action": [member_user.pk]}
    )
    assert not TransactionPin.objects.get(user=member_user).is_locked
    assert AuditEvent.objects.filter(event="pin.unlocked").exists()


def test_unlock_needs_the_permission(staff_client, staff_user):
    locked = _locked_user()
    for group in staff_user.groups.all():
        group.permissions.remove(Permission.objects.get(codename="unlock_user"))
    staff_user = User.objects.get(pk=staff_user.pk)  # drop the permission cache
    page = staff_client.get(CHANGELIST).content.decode()
    assert 'value="unlock_users"' not in page
    staff_client.post(CHANGELIST, {"action": "unlock_users", "_selected_action": [locked.pk]})
    locked.refresh_from_db()
    assert locked.locked_at is not None
    assert not AuditEvent.objects.filter(event="user.unlocked").exists()


def test_device_admin_hides_the_key(admin_client, staff_user):
    from django_otp import DEVICE_ID_SESSION_KEY

    admin = User.objects.get(username="admin")
    device = TOTPDevice.objects.create(user=admin, name="admin", confirmed=True)
    session = admin_client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = admin_client.get(url).content.decode()
    assert admin_client.get(url).status_code == 200
    assert device.key not in page
    assert "otpauth" not in page


def test_demo_loader_gives_the_clerk_a_documented_totp_device():
    from accounts.services.pin import pin_check
    from demo.data import DEMO_PIN, STAFF_TOTP_KEY_HEX, demo_load

    demo_load()
    demo_load()  # idempotent
    clerk = User.objects.get(username="auxiliar")
    device = TOTPDevice.objects.get(user=clerk)
    assert device.confirmed and device.key == STAFF_TOTP_KEY_HEX
    assert clerk.has_perm("accounts.unlock_user")
    assert pin_check(user=User.objects.get(username="mperez"), pin=DEMO_PIN)
