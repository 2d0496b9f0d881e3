"""The outbox: rows written with the change, delivered after commit, retried, never doubled."""

import socket

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox.delivery import MAX_ATTEMPTS, outbox_deliver, outbox_relay_due
from outbox.models import OutboxMessage
from outbox.services import email_enqueue, sms_enqueue

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


SEEN_DURING_SEND: list = []


def peeking_gateway(recipient: str, text: str) -> None:
    """An SMS gateway that looks at the outbox while it "sends": what a second worker, or a
    relay run, would find at that moment."""
    row = OutboxMessage.objects.get(recipient=recipient)
    SEEN_DURING_SEND.append(
        {
            "attempts": row.attempts,
            "leased": row.next_attempt_at > timezone.now(),
            "second_delivery": outbox_deliver(message_id=row.pk),
            "relayed": outbox_relay_due(),
        }
    )


def test_the_attempt_is_claimed_before_sending_so_no_one_else_sends_it(settings):
    settings.SMS_GATEWAY = "tests.plumbing.test_outbox.peeking_gateway"
    SEEN_DURING_SEND.clear()
    message = sms_enqueue(to="+59170011223", text="Su código es 123456")
    assert outbox_deliver(message_id=message.pk) is True
    # During the send the attempt was already counted and leased: a redelivered task or the
    # periodic relay found nothing to do (a worker killed here leaves the row pending).
    assert SEEN_DURING_SEND == [
        {"attempts": 1, "leased": True, "second_delivery": False, "relayed": 0}
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 1)


def test_a_message_whose_every_attempt_died_ends_failed_unsent():
    """Each claim counts an attempt; when MAX_ATTEMPTS claims ended without an outcome
    (workers killed mid-send, e.g. by the message itself), the next claim gives up instead of
    killing workers forever."""
    message = _enqueue()  # its on-commit delivery does not run inside the test transaction
    mail.outbox.clear()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.PENDING, attempts=MAX_ATTEMPTS
    )
    assert outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert "worker lost" in message.last_error
    assert mail.outbox == []


def test_a_batch_job_publishes_its_committed_messages_a_batch_at_a_time(
    django_capture_on_commit_callbacks, monkeypatch
):
    from outbox import services

    published = []
    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    monkeypatch.setattr(services.outbox_deliver_task, "delay", lambda pk: published.append([pk]))
    monkeypatch.setattr(services.outbox_deliver_many_task, "delay", published.append)
    with services.outbox_publishing_batched():
        ids = []
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                ids.append(_enqueue().pk)
        # Rolled back: never published.
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    _enqueue()
                    raise RuntimeError("the business change failed")
            except RuntimeError:
                pass
        assert published == [ids[:2]]  # a full batch, after its commits
    assert published == [ids[:2], ids[2:]]  # the rest when the job ends
    # Outside a batch job each message is its own task again.
    with django_capture_on_commit_callbacks(execute=True):
        single = _enqueue().pk
    assert published[-1] == [single]


def test_a_batch_is_delivered_message_by_message():
    from outbox.tasks import outbox_deliver_many_task

    first, second = _enqueue(), _enqueue()
    outbox_deliver(message_id=first.pk)
    assert outbox_deliver_many_task(message_ids=[first.pk, second.pk]) == 1  # first: sent before
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 2
    assert len(mail.outbox) == 2
