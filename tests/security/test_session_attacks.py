"""Session attacks, as an attacker would try them, through real logins and CSRF-enforcing
clients: fixation, acting after the idle or absolute timeout, and replaying a logged-out
session with its captured CSRF token — for a member (on the transfer signature step) and for a
staff member in the OTP admin (on the "unlock users" action).

tests/accounts/test_sessions.py covers the mechanics (key rotation, the warning page, the
12-hour limit on GETs, the session row); here every check ends in "and nothing changed".
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services.pin import pin_check, pin_set
from tests.factories import make_account, make_member, make_user
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

PASSWORD = "Cancionero45"
PIN = "4826"
LOGIN = reverse("accounts:login")
WIZARD = "/transferencias/entre-mis-cuentas/"
DASHBOARD = reverse("ledger:dashboard")
KEEPALIVE = reverse("accounts:keepalive")
ADMIN_LOGIN = reverse("admin:login")
ADMIN_USERS = reverse("admin:accounts_user_changelist")
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def _browser() -> Client:
    return Client(enforce_csrf_checks=True)


def _token(response) -> str:
    match = _TOKEN.search(response.content.decode())
    assert match, "no CSRF token on the page"
    return match.group(1)


def _refused(response, *, login: str = LOGIN) -> bool:
    """Sent to sign in again (login page or the "session expired" page), or a CSRF 403."""
    if response.status_code == 403:
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(
        (login, reverse("accounts:session_expired"))
    )


# --- the member --------------------------------------------------------------------------------


@pytest.fixture
def socio():
    member = make_member(document_number="5566778", email="socio@example.com")
    user = make_user(member=member, username="socio", password=PASSWORD)
    pin_set(user=user, pin=PIN, notify=False)
    source = make_account(member=member, balance="1000")
    destination = make_account(member=member)
    return user, source, destination


def _login(browser: Client, username: str = "socio") -> None:
    page = browser.get(LOGIN)
    response = browser.post(
        LOGIN, {"csrfmiddlewaretoken": _token(page), "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, "the real login failed"


def _step(browser: Client, token: str, step: str, fields: dict, **extra):
    data = {"csrfmiddlewaretoken": token, "transfer_own-current_step": step}
    data.update({f"{step}-{k}": v for k, v in fields.items()})
    data.update(extra)
    return browser.post(WIZARD, data)


def _walk_to_signature(browser: Client, source, destination) -> dict:
    """Steps 1-3 of "Entre mis cuentas"; returns what step 4's POST needs (token and key)."""
    token = _token(browser.get(WIZARD))
    _step(browser, token, "source", {"transfer_type": "own", "source_account": source.pk})
    _step(browser, token, "destination", {"destination_account": destination.pk})
    page = _step(
        browser,
        token,
        "data",
        {"currency": "BOB", "amount": "300,00", "description": "Ahorro", "notify_email": ""},
    )
    body = page.content.decode()
    assert "Paso 4 de 4" in body, "the wizard did not reach the signature step"
    return {"token": _token(page), "key": _KEY.search(body).group(1)}


def _sign(browser: Client, signature: dict):
    return _step(
        browser,
        signature["token"],
        "confirm",
        {"pin": PIN},
        idempotency_key=signature["key"],
    )


def _nothing_moved(source) -> bool:
    source.refresh_from_db()
    return Transfer.objects.count() == 0 and source.balance == Decimal("1000.00")


def _copy(browser: Client) -> Client:
    """Another machine with the same cookies (what an attacker who stole them would have)."""
    twin = _browser()
    for name, morsel in browser.cookies.items():
        twin.cookies[name] = morsel.value
    return twin


@pytest.mark.parametrize("planted", ["issued by the portal", "invented"])
def test_fixation_a_planted_session_is_not_the_one_signed_in(socio, planted):
    attacker = _browser()
    if planted == "invented":
        key = "fixation0attacker0chosen0key0000"
        attacker.cookies["sessionid"] = key
    else:
        attacker.get(reverse("accounts:registration"))  # the wizard keeps state: a session
        key = attacker.cookies["sessionid"].value
        assert Session.objects.filter(session_key=key).exists()
    victim = _browser()
    victim.cookies["sessionid"] = key  # e.g. set through a sibling subdomain or a link

    _login(victim)

    assert victim.cookies["sessionid"].value != key
    assert not Session.objects.filter(session_key=key).exists()  # the planted key is dead
    assert victim.get(DASHBOARD).status_code == 200
    # The attacker, still holding the planted key, is anonymous: no page, no signature.
    assert _refused(attacker.get(DASHBOARD))
    token = _token(attacker.get(LOGIN))
    user, source, destination = socio
    response = attacker.post(
        WIZARD,
        {"csrfmiddlewaretoken": token, "transfer_own-current_step": "confirm", "confirm-pin": PIN},
    )
    assert _refused(response)
    assert _nothing_moved(source)


def test_idle_timeout_the_signature_post_does_not_act(socio):
    user, source, destination = socio
    browser = _browser()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(browser)
        signature = _walk_to_signature(browser, source, destination)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        thief = _copy(browser)  # the same cookies, without the "signed in" marker
        thief.cookies.pop("pn_signed_in", None)
        assert _refused(_sign(thief, signature))
        response = _sign(browser, signature)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:session_expired')}?motivo=idle"
        assert _refused(browser.get(DASHBOARD))
    assert _nothing_moved(source)


def test_idle_timer_is_renewed_by_activity_so_the_control_signs(socio):
    """The control for the test above: the same walk, active every 14 minutes, signs."""
    user, source, destination = socio
    browser = _browser()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(browser)
        signature = _walk_to_signature(browser, source, destination)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert browser.get(KEEPALIVE).json() == {"ok": True}
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert _sign(browser, signature).status_code == 302
    assert Transfer.objects.count() == 1


def test_absolute_timeout_the_signature_post_does_not_act(socio):
    user, source, destination = socio
    browser = _browser()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _login(browser)
    moment = start
    while moment < start + timedelta(hours=11, minutes=50):  # never idle for 15 minutes
        moment += timedelta(minutes=10)
        with time_machine.travel(moment, tick=False):
            assert browser.get(KEEPALIVE).json() == {"ok": True}
    with time_machine.travel(start + timedelta(hours=11, minutes=58), tick=False):
        signature = _walk_to_signature(browser, source, destination)
    with time_machine.travel(start + timedelta(hours=12, minutes=2), tick=False):
        response = _sign(browser, signature)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:session_expired')}?motivo=absolute"
        assert _refused(browser.get(WIZARD))
    assert _nothing_moved(source)


def test_logout_replay_with_the_captured_cookie_and_token_changes_nothing(socio):
    user, source, destination = socio
    browser = _browser()
    _login(browser)
    signature = _walk_to_signature(browser, source, destination)
    pin_page = browser.get(reverse("accounts:pin_change"))
    thief = _copy(browser)
    assert thief.get(DASHBOARD).status_code == 200  # the copy works while the session lives

    browser.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": signature["token"]})

    assert _refused(_sign(thief, signature))
    response = thief.post(
        reverse("accounts:pin_change"),
        {
            "csrfmiddlewaretoken": _token(pin_page),
            "current": PASSWORD,
            "new_pin1": "5820",
            "new_pin2": "5820",
        },
    )
    assert _refused(response)
    assert _refused(thief.get(DASHBOARD))
    assert _nothing_moved(source)
    assert pin_check(user=user, pin=PIN)


# --- the staff member in the OTP admin ------------------------------------------------------


@pytest.fixture
def clerk(staff_user):
    device = TOTPDevice.objects.create(user=staff_user, name="app", confirmed=True)
    locked = make_user(username="bloqueado", password=PASSWORD)
    User.objects.filter(pk=locked.pk).update(locked_at=timezone.now(), failed_login_count=3)
    return device, locked


def _admin_login(browser: Client, device: TOTPDevice) -> None:
    page = browser.get(ADMIN_LOGIN)
    response = browser.post(
        ADMIN_LOGIN,
        {
            "csrfmiddlewaretoken": _token(page),
            "username": "clerk",
            "password": "Auxiliar2026",
            "otp_device": device.persistent_id,
            "otp_token": f"{totp(device.bin_key):06d}",
        },
    )
    assert response.status_code == 302, "the real admin login failed"


def _unlock(browser: Client, token: str, locked: User):
    return browser.post(
        ADMIN_USERS,
        {"csrfmiddlewaretoken": token, "action": "unlock_users", "_selected_action": [locked.pk]},
    )


def _still_locked(locked: User) -> bool:
    locked.refresh_from_db()
    return locked.locked_at is not None and locked.failed_login_count == 3


def test_admin_fixation_a_planted_session_is_not_the_one_signed_in(clerk):
    device, locked = clerk
    attacker = _browser()
    attacker.get(reverse("accounts:registration"))
    key = attacker.cookies["sessionid"].value
    staff = _browser()
    staff.cookies["sessionid"] = key

    _admin_login(staff, device)

    assert staff.cookies["sessionid"].value != key
    assert not Session.objects.filter(session_key=key).exists()
    assert staff.get(ADMIN_USERS).status_code == 200
    assert _refused(attacker.get(ADMIN_USERS), login=ADMIN_LOGIN)
    assert _refused(_unlock(attacker, _token(attacker.get(LOGIN)), locked), login=ADMIN_LOGIN)
    assert _still_locked(locked)


def test_admin_idle_and_absolute_timeout_the_action_does_not_act(clerk):
    device, locked = clerk
    start = timezone.now()
    idle, busy = _browser(), _browser()
    with time_machine.travel(start, tick=False):
        _admin_login(idle, device)
        idle_token = _token(idle.get(ADMIN_USERS))
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _refused(_unlock(idle, idle_token, locked), login=ADMIN_LOGIN)
        assert _refused(idle.get(ADMIN_USERS), login=ADMIN_LOGIN)
    assert _still_locked(locked)

    # Absolute: active every 10 minutes for 12 hours (a new TOTP code: a device accepts each
    # code once), then the action.
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        _admin_login(busy, device)
        busy_token = _token(busy.get(ADMIN_USERS))
    moment = start + timedelta(minutes=20)
    while moment < start + timedelta(hours=12, minutes=10):
        moment += timedelta(minutes=10)
        with time_machine.travel(moment, tick=False):
            assert busy.get(KEEPALIVE).json() == {"ok": True}
    with time_machine.travel(start + timedelta(hours=12, minutes=22), tick=False):
        response = _unlock(busy, busy_token, locked)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:session_expired')}?motivo=absolute"
        assert _refused(busy.get(ADMIN_USERS), login=ADMIN_LOGIN)
    assert _still_locked(locked)


def test_admin_logout_replay_changes_nothing(clerk):
    device, locked = clerk
    staff = _browser()
    _admin_login(staff, device)
    token = _token(staff.get(ADMIN_USERS))
    thief = _copy(staff)
    assert thief.get(ADMIN_USERS).status_code == 200  # the copy works while the session lives

    staff.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token})

    assert _refused(_unlock(thief, token, locked), login=ADMIN_LOGIN)
    assert _refused(thief.get(ADMIN_USERS), login=ADMIN_LOGIN)
    assert _still_locked(locked)


def test_admin_control_the_unlock_action_works_in_a_live_session(clerk):
    """The control: the same POST in a live session does unlock, so the refusals above are the
    session's doing."""
    device, locked = clerk
    staff = _browser()
    _admin_login(staff, device)
    assert _unlock(staff, _token(staff.get(ADMIN_USERS)), locked).status_code == 302
    assert not _still_locked(locked)
