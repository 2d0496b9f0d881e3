"""The portal behind a real nginx on loopback: each client keeps its own address.

Two clients reach nginx from different source addresses (127.0.0.2 and 127.0.0.3); nginx
reaches the portal from 127.0.0.1, the only trusted proxy. A client that talks to the portal
directly (127.0.0.4) with a forged X-Forwarded-For, or forges it through nginx, gets nothing
from it. ``make reliability`` runs this module as its "proxy (nginx)" row.
"""

from urllib.parse import urlsplit

import pytest

from accounts.models import SignInAttempt, UserSession
from accounts.services.login import IP_MAX_FAILURES
from audit.models import AuditEvent
from tests.factories import make_member, make_user
from tests.nginx_proxy import nginx_in_front_of
from tests.reliability.harness import Member

pytestmark = pytest.mark.slow

PASSWORD = "Cancionero45"
A, B, DIRECT = "127.0.0.2", "127.0.0.3", "127.0.0.4"
THROTTLED = "Demasiados intentos fallidos"


@pytest.fixture
def portal(live_server, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    address = urlsplit(live_server.url)
    return ("127.0.0.1", address.port)


@pytest.fixture
def proxy(portal):
    with nginx_in_front_of(portal) as nginx:
        yield nginx


def _user(username: str):
    return make_user(member=make_member(), username=username, password=PASSWORD)


def _attempt(client: Member, username: str, password: str):
    client.get("/ingresar/")
    return client.post("/ingresar/", {"username": username, "password": password})


def test_two_clients_behind_nginx_have_separate_throttles_and_their_own_addresses(proxy):
    _user("socioa")
    _user("sociob")
    a, b = Member(proxy.base, source=A), Member(proxy.base, source=B)
    for n in range(IP_MAX_FAILURES):
        assert _attempt(a, f"nadie{n}", "x").status == 200
    refused = _attempt(a, "socioa", PASSWORD)
    assert refused.status == 200 and THROTTLED in refused.body, proxy.log()
    # Client A used up its own allowance only: B (same nginx) signs in.
    assert _attempt(b, "sociob", PASSWORD).status == 302
    assert set(SignInAttempt.objects.values_list("ip_address", flat=True)) == {A, B}
    # The member's session list shows B's own address, on the page as well.
    assert list(UserSession.objects.values_list("ip_address", flat=True)) == [B]
    assert B in b.get("/configuracion/").body


def test_the_lockout_audit_row_names_the_client_not_nginx(proxy):
    victim = _user("victima")
    attacker = Member(proxy.base, source=A)
    for _ in range(3):
        _attempt(attacker, "victima", "Equivocada1")
    locked = AuditEvent.objects.get(event="user.locked", subject=f"accounts.user:{victim.pk}")
    assert locked.ip_address == A


def test_a_header_forged_through_nginx_is_not_believed(proxy):
    _user("socioa")
    forger = Member(proxy.base, source=A)
    forger.headers["X-Forwarded-For"] = "198.51.100.7, 127.0.0.3"
    assert _attempt(forger, "socioa", PASSWORD).status == 302
    assert set(SignInAttempt.objects.values_list("ip_address", flat=True)) == {A}


def test_a_client_bypassing_nginx_gets_nothing_from_a_forged_header(portal, proxy):
    _user("socioa")
    _user("sociob")
    forger = Member(portal, source=DIRECT)
    # Claims to be nginx forwarding a fresh client each time.
    for n in range(IP_MAX_FAILURES):
        forger.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        _attempt(forger, f"nadie{n}", "x")
    forger.headers["X-Forwarded-For"] = "203.0.113.200"
    refused = _attempt(forger, "socioa", PASSWORD)
    assert refused.status == 200 and THROTTLED in refused.body
    assert set(SignInAttempt.objects.values_list("ip_address", flat=True)) == {DIRECT}
    # Meanwhile a member behind nginx is unaffected.
    assert _attempt(Member(proxy.base, source=B), "sociob", PASSWORD).status == 302
