"""The durable outbox: side effects (emails, SMS) leave only after the change commits.

Callers enqueue inside their business transaction (:func:`email_enqueue`, :func:`sms_enqueue`);
the row commits or rolls back with the change. After commit, a Celery task relays the row
(:func:`outbox_deliver`). If the broker is down the publish fails quietly and the periodic
``outbox_relay_due`` task (celery beat) delivers it later; if SMTP is down the row is retried
with exponential backoff and ends ``failed`` (visible in the admin) after ``MAX_ATTEMPTS``.

Delivery locks the row with ``SELECT ... FOR UPDATE SKIP LOCKED`` and re-checks its status, so
two workers never send the same row; each message carries a stable Message-ID.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 30


def _schedule(message_id: int) -> None:
    from .tasks import outbox_deliver_task

    def publish() -> None:
        try:
            outbox_deliver_task.delay(message_id)
        except Exception:  # broker down: the periodic relay delivers it later
            logger.warning("outbox: could not publish message %s; the relay will retry", message_id)

    transaction.on_commit(publish)


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


def _send_email(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        to=[message.recipient],
        headers={"Message-ID": message.message_id},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send(fail_silently=False)


def _send_sms(message: OutboxMessage) -> None:
    gateway: Callable[[str, str], None] = import_string(settings.SMS_GATEWAY)
    gateway(message.recipient, message.body_text)


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is still pending and due; True if it was sent now."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if message is None:
            return False  # sent already, failed for good, or another worker holds it
        try:
            if message.channel == OutboxMessage.Channel.EMAIL:
                _send_email(message)
            else:
                _send_sms(message)
        except Exception as exc:  # noqa: BLE001 - any transport error is retried later
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
            message.next_attempt_at = timezone.now() + timedelta(
                seconds=BASE_BACKOFF_SECONDS * 2 ** (message.attempts - 1)
            )
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning("outbox: message %s not delivered (%s)", message.pk, message.last_error)
            return False
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["status", "sent_at", "attempts"])
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
