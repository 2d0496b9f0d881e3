"""Strikes counted under a row lock: concurrent wrong passwords/PINs from real threads, each
with its own PostgreSQL connection, lock exactly once and lose no strike."""

import threading

import pytest
from django.db import connection

from accounts.models import TransactionPin, User
from accounts.services.login import login_authenticate
from accounts.services.pin import pin_check, pin_set
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _run_threads(target, count):
    errors = []
    barrier = threading.Barrier(count)

    def wrapper(index):
        try:
            barrier.wait()
            target(index)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_wrong_passwords_lock_exactly_once():
    user = make_user(member=make_member(), username="carrera", password="Cancionero45")
    # Distinct addresses: the per-IP throttle is not what is being tested here.
    _run_threads(
        lambda i: login_authenticate(
            username="carrera", password=f"Mala{i}", ip_address=f"10.2.0.{i + 1}"
        ),
        6,
    )
    user = User.objects.get(pk=user.pk)
    assert user.locked_at is not None
    assert user.failed_login_count == 3
    assert AuditEvent.objects.filter(event="user.locked").count() == 1
    assert OutboxMessage.objects.filter(recipient=user.member.email).count() == 1


def test_concurrent_wrong_pins_lock_exactly_once():
    user = make_user(member=make_member(), username="carrera2", password="Cancionero45")
    pin_set(user=user, pin="7392", notify=False)
    results = []
    _run_threads(lambda i: results.append(pin_check(user=user, pin=f"00{i}9")), 5)
    row = TransactionPin.objects.get(user=user)
    assert results == [False] * 5
    assert row.is_locked and row.failed_attempts == 3
    assert AuditEvent.objects.filter(event="pin.locked").count() == 1
