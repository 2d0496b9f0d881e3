"""The durable outbox: side effects (emails, SMS) leave only after the change commits.

Callers enqueue inside their business transaction (:func:`email_enqueue`, :func:`sms_enqueue`);
the row commits or rolls back with the change. After commit, a Celery task relays the row
(:func:`outbox_deliver`). If the broker is down the publish fails quietly and the periodic
``outbox_relay_due`` task (celery beat) delivers it later; if SMTP is down the row is retried
with exponential backoff and ends ``failed`` (visible in the admin) after ``MAX_ATTEMPTS``.

Delivery, step by step (docs/reliability.md has the fault analysis):

1. Claim, committed before anything is sent: under ``SELECT ... FOR UPDATE SKIP LOCKED`` the
   row must still be pending and due; the attempt is counted and ``next_attempt_at`` moves
   ``OUTBOX_LEASE_SECONDS`` ahead — a lease. No other task or relay touches the row until the
   lease runs out, and no transaction stays open while we talk to the SMTP server.
2. Send. If the worker dies before the message's final "." reaches the server (SIGKILL, OOM,
   power), the SMTP transaction is cut, so the server delivers nothing; the row is still
   pending and is sent again when the lease runs out. A message whose every attempt dies this
   way still ends ``failed`` after ``MAX_ATTEMPTS`` instead of killing workers forever.
3. Record ``sent`` right after the server's 250 — before the SMTP goodbye (QUIT), so a worker
   killed while saying goodbye does not send the message again.

What remains at-least-once: a death after the final "." reached the server (many servers
queue the message then, before answering 250) and before the ``sent`` update reaches
PostgreSQL sends the message again after the lease. Every send of a row carries the same
Message-ID, so the receiving side can drop the duplicate.
"""

import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30
# Longer than any one send can take (each SMTP step is bounded by EMAIL_TIMEOUT), so a live
# worker never loses its claim mid-send; a dead worker's claim lapses after it.
DEFAULT_LEASE_SECONDS = 300


def _lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def _schedule(message_id: int) -> None:
    from .tasks import outbox_deliver_task

    def publish() -> None:
        try:
            outbox_deliver_task.delay(message_id)
        except Exception:  # broker down: the periodic relay delivers it later
            logger.warning("outbox: could not publish message %s; the relay will retry", message_id)

    transaction.on_commit(publish)


def outbox_schedule(message_id: int) -> None:
    """Relay a row written by other means than the two functions below (e.g. an
    ``INSERT ... SELECT``) after the transaction commits, as those functions do."""
    _schedule(message_id)


def email_enqueue(
    *, to: str, subject: str, template: str, context: dict[str, Any] | None = None
) -> OutboxMessage:
    """Render ``<template>.txt`` (and ``<template>.html`` if present) and queue the email.

    Call inside the transaction of the change that causes the email.
    """
    context = {"site_url": settings.SITE_URL, **(context or {})}
    body_text = render_to_string(f"{template}.txt", context)
    try:
        body_html = get_template(f"{template}.html").render(context)
    except TemplateDoesNotExist:  # a plain-text-only email is fine
        body_html = ""
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        next_attempt_at=timezone.now(),
    )
    _schedule(message.pk)
    return message


def sms_enqueue(*, to: str, text: str) -> OutboxMessage:
    """Queue an SMS; the configured ``SMS_GATEWAY`` sends it."""
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.SMS,
        recipient=to,
        body_text=text,
        next_attempt_at=timezone.now(),
    )
    _schedule(message.pk)
    return message


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


def outbox_retry(*, message: OutboxMessage) -> None:
    """Staff action: put a failed message back in the queue."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    _schedule(message.pk)
