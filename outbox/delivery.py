"""Delivering outbox rows: claim (a lease), send, record. The steps and their fault analysis are
in :mod:`outbox.services`' docstring and docs/reliability.md. Celery's tasks call this module;
it schedules nothing, so it never imports the tasks (no import loop)."""

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30


def _lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def _send_email(message: OutboxMessage) -> Callable[[], None]:
    """Send through a connection we open ourselves, so the caller can record the message as
    sent before the connection's goodbye (QUIT); returns the function that says goodbye."""
    connection = get_connection(fail_silently=False)
    connection.open()
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={"Message-ID": message.message_id},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send(fail_silently=False)
    except Exception:
        with contextlib.suppress(Exception):
            connection.close()
        raise
    return connection.close


def _send_sms(message: OutboxMessage) -> Callable[[], None]:
    gateway: Callable[[str, str], None] = import_string(settings.SMS_GATEWAY)
    gateway(message.recipient, message.body_text)
    return lambda: None


def _claim(message_id: int) -> OutboxMessage | None:
    """Step 1 of a delivery (see the module docstring): count the attempt and take the lease,
    committed before anything is sent. None if the row is not ours to send now."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            # A first attempt is due at once: its next_attempt_at was stamped by the web host,
            # and a worker whose clock lags must not leave it to the periodic relay.
            .filter(Q(attempts=0) | Q(next_attempt_at__lte=now))
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return None  # sent, failed for good, leased or backing off, or locked by a claim
        if message.attempts >= MAX_ATTEMPTS:
            # Every attempt so far ended without an outcome (its worker died mid-send).
            message.status = OutboxMessage.Status.FAILED
            message.last_error = "every delivery attempt ended without an outcome (worker lost)"
            message.save(update_fields=["status", "last_error"])
            logger.error("outbox: message %s failed: %s", message.pk, message.last_error)
            return None
        message.attempts += 1
        message.next_attempt_at = now + _lease()
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is still pending and due; True if it was sent now."""
    message = _claim(message_id)
    if message is None:
        return False
    ours = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.PENDING, attempts=message.attempts
    )
    try:
        if message.channel == OutboxMessage.Channel.EMAIL:
            goodbye = _send_email(message)
        else:
            goodbye = _send_sms(message)
    except Exception as exc:  # noqa: BLE001 - any transport error is retried later
        error = f"{type(exc).__name__}: {exc}"[:2000]
        ours.update(
            last_error=error,
            status=(
                OutboxMessage.Status.FAILED
                if message.attempts >= MAX_ATTEMPTS
                else OutboxMessage.Status.PENDING
            ),
            next_attempt_at=timezone.now()
            + timedelta(seconds=BASE_BACKOFF_SECONDS * 2 ** (message.attempts - 1)),
        )
        logger.warning("outbox: message %s not delivered (%s)", message.pk, error)
        return False
    # The server has accepted the message (SMTP 250): record it before anything else.
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now()
    )
    with contextlib.suppress(Exception):  # the message is accepted; a failed goodbye is moot
        goodbye()
    return True


def outbox_relay_due(*, limit: int = 200) -> int:
    """Deliver every pending message whose time has come; return how many were sent."""
    due = list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_deliver(message_id=pk) for pk in due)
