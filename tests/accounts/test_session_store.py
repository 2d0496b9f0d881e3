"""accounts.session_store: sessions read through Redis, the row written only when something
durable changed or once a minute, the idle timeout exact, and sensible without Redis.

tests/security/test_session_attacks.py holds the 15-minute and 12-hour timeouts end to end."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.session_store import STORE_EVERY_SECONDS, SessionStore
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "Cancionero45"
DASHBOARD = reverse("ledger:dashboard")


@pytest.fixture
def member_client():
    user = make_user(member=make_member(), username="sesion1", password=PASSWORD)
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    client.get(DASHBOARD)  # the first page records the session-list row (durable)
    return client


def _row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_the_engine_is_in_use_on_django_s_session_table():
    assert settings.SESSION_ENGINE == "accounts.session_store"
    assert SessionStore.get_model_class()._meta.db_table == "django_session"  # ROW_ALIVE_SQL


def test_a_page_within_the_minute_reads_the_cache_and_writes_no_row(
    member_client, django_assert_num_queries
):
    before = _row(member_client).expire_date
    # the row check, the user, the dashboard's two (no accounts): no session read or write (and
    # the bell's count is cached since the fixture's page).
    with django_assert_num_queries(4) as ctx:
        assert member_client.get(DASHBOARD).status_code == 200
    assert not any("django_session" in q["sql"] and "UPDATE" in q["sql"] for q in ctx)
    assert _row(member_client).expire_date == before


def test_the_row_is_written_again_once_a_minute_and_outlives_the_idle_deadline(member_client):
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=STORE_EVERY_SECONDS + 1), tick=False):
        assert member_client.get(DASHBOARD).status_code == 200
        expected = timezone.now() + timedelta(
            seconds=settings.SESSION_COOKIE_AGE + STORE_EVERY_SECONDS
        )
    assert abs(_row(member_client).expire_date - expected) < timedelta(seconds=2)


def test_idle_for_one_second_more_than_the_timeout_ends_the_session_though_the_row_lives(
    member_client,
):
    """The row outlives the deadline by up to a minute; the stamp ends the session exactly."""
    start = timezone.now()  # the row was written just before, at sign-in
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert member_client.get(DASHBOARD).status_code == 200  # stamped; no row write
    idle_over = start + timedelta(seconds=30 + settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(idle_over, tick=False):
        assert _row(member_client).expire_date > timezone.now()  # the row still lives
        response = member_client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:session_expired')}?motivo=idle"


def test_a_deleted_row_ends_the_session_even_with_a_cached_copy(member_client):
    """Revocation ("Cerrar sesión" on another device, a password change) deletes rows only;
    a logout whose cache delete was lost (Redis unreachable) leaves a copy: never honoured."""
    key = member_client.session.session_key
    assert SessionStore(session_key=key)._cache.get(SessionStore.cache_key_prefix + key)
    Session.objects.filter(session_key=key).delete()
    response = member_client.get(DASHBOARD)
    assert response.status_code == 302


class _Down(Exception):
    pass


def test_without_redis_the_member_stays_signed_in_and_every_page_writes_the_row(
    member_client, caplog
):
    with mock.patch("accounts.session_store.SessionStore.__init__", _init_with_broken_cache):
        first = timezone.now()
        with time_machine.travel(first + timedelta(seconds=5), tick=False):
            assert member_client.get(DASHBOARD).status_code == 200
        # The row now holds the stamp of that page (written at once without a cache).
        with time_machine.travel(first + timedelta(seconds=5 + 600), tick=False):
            assert member_client.get(DASHBOARD).status_code == 200
        row = _row(member_client)
        assert row.expire_date > first + timedelta(seconds=5 + 600)
        # A logout still ends it, though the cache cannot be told.
        logout = member_client.post(reverse("accounts:logout"))
        assert logout.status_code == 302
    assert "session cache unavailable" in caplog.text
    assert member_client.get(DASHBOARD).status_code == 302


def _init_with_broken_cache(self, session_key=None):
    broken = mock.MagicMock()
    broken.get.side_effect = broken.set.side_effect = broken.delete.side_effect = _Down
    self._cache = broken
    super(SessionStore, self).__init__(session_key)  # cached_db's __init__ sets _cache again
    self._cache = broken
