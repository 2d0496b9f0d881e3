"""Session security: idle expiry with the warning page, absolute lifetime, key rotation,
logout replay, and the member's list of open sessions."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import MARKER_COOKIE
from accounts.models import UserSession
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("accounts:settings")


def _login(client):
    response = client.post(
        reverse("accounts:login"), {"username": "socio1", "password": "Cancionero45"}
    )
    assert response.status_code == 302
    return response


def test_login_rotates_the_session_key(client, member_user):
    client.get(reverse("accounts:login"))
    client.session.save()
    anonymous_key = client.session.session_key
    _login(client)
    assert client.cookies["sessionid"].value != anonymous_key


def test_idle_timeout_shows_the_warning_page(client, member_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client)
        assert client.get(SETTINGS_URL).status_code == 200
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(SETTINGS_URL).status_code == 200  # activity renews the idle timer
    with time_machine.travel(start + timedelta(minutes=14 + 16), tick=False):
        response = client.get(SETTINGS_URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:session_expired"))
        page = client.get(response["Location"])
        assert "15 minutos sin actividad" in page.content.decode()
        assert client.cookies[MARKER_COOKIE].value == ""  # the warning is shown once
        assert client.get(SETTINGS_URL)["Location"].startswith(reverse("accounts:login"))


def test_absolute_lifetime_of_twelve_hours(client, member_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client)
    # Active every 10 minutes for 12 hours: never idle, still ended.
    moment = start
    while moment < start + timedelta(hours=11, minutes=55):
        moment += timedelta(minutes=10)
        with time_machine.travel(moment, tick=False):
            assert client.get(SETTINGS_URL).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        response = client.get(SETTINGS_URL)
        assert "motivo=absolute" in response["Location"]
        assert "_auth_user_id" not in client.session


def test_logout_kills_the_server_session(client, member_user):
    _login(client)
    old_cookie = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    response = replay.get(SETTINGS_URL)
    assert response.status_code == 302
    assert not UserSession.objects.filter(session_key=old_cookie).exists()


def test_logout_is_post_only(logged_client):
    assert logged_client.get(reverse("accounts:logout")).status_code == 405


def test_open_sessions_listed_and_closed(client, member_user):
    other = Client(HTTP_USER_AGENT="OtroNavegador/1.0", REMOTE_ADDR="10.9.9.9")
    _login(other)
    _login(client)
    page = client.get(SETTINGS_URL).content.decode()
    assert "OtroNavegador/1.0" in page
    assert "Esta sesión" in page
    row = UserSession.objects.get(user=member_user, user_agent="OtroNavegador/1.0")
    response = client.post(reverse("accounts:session_close", args=[row.pk]))
    assert response.status_code == 302
    assert other.get(SETTINGS_URL).status_code == 302
    assert AuditEvent.objects.filter(event="session.closed").exists()
    # The current session cannot be closed from the list, and others' rows are not reachable.
    mine = UserSession.objects.get(user=member_user)
    client.post(reverse("accounts:session_close", args=[mine.pk]))
    assert client.get(SETTINGS_URL).status_code == 200


def test_session_row_follows_key_rotation(client, member_user):
    _login(client)
    client.post(
        reverse("accounts:pin_change"),
        {"current": "Cancionero45", "new_pin1": "5820", "new_pin2": "5820"},
    )
    client.get(SETTINGS_URL)
    assert UserSession.objects.filter(session_key=client.cookies["sessionid"].value).exists()


def test_authenticated_pages_are_not_cached(logged_client):
    response = logged_client.get(SETTINGS_URL)
    assert "no-store" in response["Cache-Control"]


def test_close_requires_post_and_csrf(member_user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(member_user)
    row = UserSession.objects.filter(user=member_user).first()
    assert csrf_client.post(reverse("accounts:session_close", args=[row.pk])).status_code == 403
    assert UserSession.objects.filter(pk=row.pk).exists()


def test_pages_carry_the_idle_warning_and_keepalive_renews(client, member_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(client)
        page = client.get(SETTINGS_URL).content.decode()
        assert 'id="session-warning"' in page
        assert 'data-session-seconds="900"' in page
        assert "js/session-timeout.js" in page
    with time_machine.travel(start + timedelta(minutes=13), tick=False):
        assert client.get(reverse("accounts:keepalive")).json() == {"ok": True}
    with time_machine.travel(start + timedelta(minutes=26), tick=False):
        assert client.get(SETTINGS_URL).status_code == 200
