"""The client address behind reverse proxies (audit.services.client_ip, TRUSTED_PROXIES).

An attacker controls every byte of X-Forwarded-For they send; only the hops appended by
trusted proxies mean anything. The properties below say so over arbitrary header values.
"""

import ipaddress
import os

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import SignInAttempt
from audit.services import client_ip
from progresonet.middleware import ForwardedHeadersMiddleware

# 100 examples per property in `make test`; `make reliability` (HYPOTHESIS_PROFILE) runs 5,000.
EXAMPLES = 5000 if os.environ.get("HYPOTHESIS_PROFILE") == "reliability" else 100
PROXIES = ["10.0.0.0/24", "fd00::/64", "192.168.7.7"]

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
addresses = st.one_of(ipv4, ipv6)
junk = st.text(max_size=40)
# Header values an attacker might send: addresses, junk, separators, brackets, ports.
header_entries = st.one_of(addresses, junk, addresses.map(lambda a: f"[{a}]"), st.just(""))
headers = st.lists(header_entries, max_size=8).map(", ".join) | junk

trusted_v4 = st.integers(0, 255).map(lambda n: f"10.0.0.{n}")
trusted_v6 = st.integers(0, 2**64 - 1).map(
    lambda n: str(ipaddress.IPv6Address((0xFD00 << 112) + n))
)
trusted = st.one_of(trusted_v4, trusted_v6, st.just("192.168.7.7"))


def _untrusted(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not any(ip in ipaddress.ip_network(p) for p in PROXIES)


untrusted = addresses.filter(_untrusted)


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def _canonical(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


@override_settings(TRUSTED_PROXIES=PROXIES)
@hsettings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(remote=untrusted, forwarded=headers)
def test_an_untrusted_peer_cannot_change_its_address_with_any_header(remote, forwarded):
    assert client_ip(_request(remote, forwarded)) == _canonical(remote)


@override_settings(TRUSTED_PROXIES=[])
@hsettings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(remote=addresses, forwarded=headers)
def test_without_trusted_proxies_the_header_is_ignored_even_from_loopback(remote, forwarded):
    assert client_ip(_request(remote, forwarded)) == _canonical(remote)


@override_settings(TRUSTED_PROXIES=PROXIES)
@hsettings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(
    forged=st.lists(header_entries, max_size=4),
    client=untrusted,
    chain=st.lists(trusted, max_size=3),
    remote=trusted,
)
def test_through_trusted_proxies_the_client_is_the_rightmost_untrusted_hop(
    forged, client, chain, remote
):
    # What the client sent first (anything), then its own address as the first proxy saw it,
    # then the proxies between: exactly what a chain of nginx $proxy_add_x_forwarded_for makes.
    forwarded = ", ".join([*forged, client, *chain])
    assert client_ip(_request(remote, forwarded)) == _canonical(client)


@override_settings(TRUSTED_PROXIES=PROXIES)
@hsettings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(remote=st.one_of(addresses, junk), forwarded=st.one_of(headers, st.none()))
def test_never_raises_and_answers_an_address_or_none(remote, forwarded):
    answer = client_ip(_request(remote, forwarded))
    assert answer is None or ipaddress.ip_address(answer)


@override_settings(TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the left one was written by the client
        ("203.0.113.9, 10.0.0.5", "203.0.113.9"),  # two proxies
        ("garbage, 10.0.0.5", "10.0.0.5"),  # malformed: stop at the last trusted hop
        ("203.0.113.9, not-an-ip", "10.0.0.1"),
        ("", "10.0.0.1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_examples_behind_a_trusted_proxy(forwarded, expected):
    assert client_ip(_request("10.0.0.1", forwarded)) == expected


@override_settings(TRUSTED_PROXIES=["fd00::/64"])
def test_an_ipv6_proxy_is_trusted_by_network():
    assert client_ip(_request("fd00::2", "2001:db8::7")) == "2001:db8::7"
    assert client_ip(_request("fd01::2", "2001:db8::7")) == "fd01::2"


def test_no_request_no_address():
    assert client_ip(None) is None


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy():
    seen = {}

    def view(request):
        seen["proto"] = request.META.get("HTTP_X_FORWARDED_PROTO")
        return None

    middleware = ForwardedHeadersMiddleware(view)
    direct = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    middleware(direct)
    assert seen["proto"] is None
    proxied = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    middleware(proxied)
    assert seen["proto"] == "https"


# --- the callers: throttles and records use the same answer -------------------------------


def _login(client, username, password, **extra):
    return client.post("/ingresar/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_sign_in_throttle_is_per_client_behind_the_proxy(client, member_user):
    for n in range(12):
        _login(
            client,
            f"desconocido{n}",
            "x",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.1",
        )
    blocked = _login(
        client, "socio1", "Cancionero45", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert blocked.status_code == 200
    # Another member behind the same proxy is not affected by the first one's failures.
    other = client.__class__()
    response = _login(
        other, "socio1", "Cancionero45", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.2"
    )
    assert response.status_code == 302
    recorded = set(SignInAttempt.objects.values_list("ip_address", flat=True))
    assert recorded == {"203.0.113.1", "203.0.113.2"}


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[])
def test_a_forged_header_does_not_escape_the_throttle(client, member_user):
    for n in range(12):
        _login(
            client,
            f"desconocido{n}",
            "x",
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}",
        )
    response = _login(
        client, "socio1", "Cancionero45", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )
    assert response.status_code == 200
    assert set(SignInAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.9"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "trusted", "status"),
    [
        ("10.0.0.1", ["10.0.0.1"], 200),  # the proxy says the member used HTTPS: believed
        ("203.0.113.9", ["10.0.0.1"], 301),  # a client straight to gunicorn claims HTTPS
        ("10.0.0.1", [], 301),  # no trusted proxy configured: nobody is believed
    ],
)
def test_a_forged_x_forwarded_proto_does_not_skip_the_https_redirect(
    client, settings, remote, trusted, status
):
    settings.TRUSTED_PROXIES = trusted
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/ingresar/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == status
