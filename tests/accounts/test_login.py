"""Login: three strikes, anti-enumeration, per-IP throttle, staff unlock (non-browser part)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import SignInAttempt, User
from accounts.services.login import IP_MAX_FAILURES, user_unlock
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PASSWORD = "Cancionero45"


def _post(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_lockout_at_exactly_the_third_failure_and_fourth_correct_attempt_refused(
    client, member_user, django_capture_on_commit_callbacks
):
    for attempt in (1, 2):
        _post(client, "socio1", "Equivocada1")
        member_user.refresh_from_db()
        assert member_user.failed_login_count == attempt
        assert member_user.locked_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "socio1", "Equivocada3")
    member_user.refresh_from_db()
    assert member_user.locked_at is not None
    assert "Auxiliar de Atención al Socio" in response.content.decode()
    assert "por seguridad" in response.content.decode()
    locked_mail = OutboxMessage.objects.get(recipient=member_user.member.email)
    assert "bloqueado" in locked_mail.subject.lower()
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(
        event="user.locked", subject=f"accounts.user:{member_user.pk}"
    ).exists()

    response = _post(client, "socio1", PASSWORD)  # the right password, fourth attempt
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_success_resets_the_count(client, member_user):
    _post(client, "socio1", "Equivocada1")
    _post(client, "socio1", "Equivocada2")
    response = _post(client, "SOCIO1", PASSWORD)  # usernames ignore case
    assert response.status_code == 302
    member_user.refresh_from_db()
    assert member_user.failed_login_count == 0
    client.post(reverse("accounts:logout"))
    _post(client, "socio1", "Equivocada1")
    _post(client, "socio1", "Equivocada2")
    member_user.refresh_from_db()
    assert member_user.locked_at is None  # only consecutive failures count


def _error_block(response) -> str:
    body = response.content.decode()
    start = body.index('<div class="alert alert-error"')
    return body[start : body.index("</div>", start)]


def _normalised(response, username) -> str:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    return body.replace(f'value="{username}"', 'value="X"')


def test_unknown_wrong_and_locked_look_the_same(client, member_user):
    locked = make_user(username="bloqueado", password=PASSWORD)
    User.objects.filter(pk=locked.pk).update(locked_at="2026-01-01T00:00:00Z")
    unknown = _post(client, "nadie", PASSWORD)
    wrong = _post(client, "socio1", "Equivocada1")
    locked_right = _post(client, "bloqueado", PASSWORD)
    assert unknown.status_code == wrong.status_code == locked_right.status_code == 200
    assert _error_block(unknown) == _error_block(wrong) == _error_block(locked_right)
    assert "Auxiliar de Atención al Socio" in _error_block(unknown)
    # Byte for byte the same page once the CSRF token and the echoed username are set aside.
    assert (
        _normalised(unknown, "nadie")
        == _normalised(wrong, "socio1")
        == _normalised(locked_right, "bloqueado")
    )


def test_unknown_user_runs_the_hasher(client, monkeypatch):
    from accounts.services import login as login_service

    calls = []
    real = login_service.make_password
    monkeypatch.setattr(login_service, "make_password", lambda p: calls.append(1) or real(p))
    _post(client, "nadie", PASSWORD)
    assert calls == [1]


def test_per_ip_throttle_stops_checks_and_strikes(client, member_user):
    for n in range(IP_MAX_FAILURES):
        _post(client, f"desconocido{n}", "x", REMOTE_ADDR="10.0.0.9")
    response = _post(client, "socio1", PASSWORD, REMOTE_ADDR="10.0.0.9")
    assert "_auth_user_id" not in client.session
    assert "Demasiados intentos" in response.content.decode()
    member_user.refresh_from_db()
    assert member_user.failed_login_count == 0
    # Another address is unaffected.
    assert _post(client, "socio1", PASSWORD, REMOTE_ADDR="10.0.0.10").status_code == 302


def test_sign_ins_are_recorded(client, member_user):
    _post(client, "socio1", "Equivocada1", REMOTE_ADDR="10.1.1.1")
    _post(client, "socio1", PASSWORD, REMOTE_ADDR="10.1.1.1")
    attempts = list(SignInAttempt.objects.filter(user=member_user).order_by("occurred_at", "pk"))
    assert [a.succeeded for a in attempts] == [False, True]
    assert attempts[1].ip_address == "10.1.1.1"


def test_unlock_service_resets_and_audits(member_user, staff_user):
    User.objects.filter(pk=member_user.pk).update(
        locked_at="2026-01-01T00:00:00Z", failed_login_count=3
    )
    assert user_unlock(user=member_user, actor=staff_user, ip_address="10.0.0.1") is True
    member_user.refresh_from_db()
    assert member_user.locked_at is None and member_user.failed_login_count == 0
    event = AuditEvent.objects.get(event="user.unlocked")
    assert event.actor == staff_user
    assert user_unlock(user=member_user, actor=staff_user) is False


def test_safe_next_only(client, member_user):
    evil = client.post(
        f"{LOGIN}?next=https://evil.example.com/",
        {"username": "socio1", "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert evil.status_code == 302
    assert "evil.example.com" not in evil["Location"]
    client.post(reverse("accounts:logout"))
    good = client.post(
        LOGIN, {"username": "socio1", "password": PASSWORD, "next": "/configuracion/"}
    )
    assert good["Location"] == "/configuracion/"
