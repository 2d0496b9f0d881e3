"""The outbox: rows written with the change, delivered after commit, retried, never doubled."""

import socket

import pytest
from django.core import mail
from django.db import transaction

from accounts.models import OutboxMessage
from accounts.outbox import MAX_ATTEMPTS, email_enqueue, outbox_deliver, outbox_relay_due

pytestmark = pytest.mark.django_db


def _enqueue():
    return email_enqueue(
        to="socio@example.com",
        subject="Prueba",
        template="tests/test_message",
        context={"name": "María"},
    )


def test_email_leaves_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = _enqueue()
        assert mail.outbox == []  # nothing sent inside the transaction
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id
    assert "María" in mail.outbox[0].body


def test_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                _enqueue()
                raise RuntimeError("the business change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


def test_delivering_twice_sends_once():
    message = _enqueue()
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    assert outbox_relay_due() == 0
    assert len(mail.outbox) == 1


@pytest.fixture
def smtp_down(settings):
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2


def test_smtp_down_keeps_the_message_and_backs_off(smtp_down):
    message = _enqueue()
    assert outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 1
    assert "ConnectionRefused" in message.last_error
    assert outbox_relay_due() == 0  # not due again yet: backoff


def test_gives_up_after_bounded_attempts(smtp_down):
    message = _enqueue()
    for _ in range(MAX_ATTEMPTS):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        outbox_relay_due()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.attempts == MAX_ATTEMPTS
