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

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from .models import OutboxMessage
from .tasks import outbox_deliver_many_task, outbox_deliver_task

logger = logging.getLogger(__name__)


# Inside outbox_publishing_batched(): the committed message ids not yet published.
_batch: ContextVar[list[int] | None] = ContextVar("outbox_batch", default=None)
BATCH_SIZE = 100


def _publish(message_ids: list[int]) -> None:
    try:
        if len(message_ids) == 1:
            outbox_deliver_task.delay(message_ids[0])
        else:
            outbox_deliver_many_task.delay(message_ids)
    except Exception:  # broker down: the periodic relay delivers them later
        logger.warning("outbox: could not publish %s; the relay will retry", message_ids)


def _schedule(message_id: int) -> None:
    def publish() -> None:
        batch = _batch.get()
        if batch is None:
            _publish([message_id])
            return
        batch.append(message_id)
        if len(batch) >= BATCH_SIZE:
            _publish(batch[:])
            batch.clear()

    transaction.on_commit(publish)


@contextmanager
def outbox_publishing_batched() -> Iterator[None]:
    """For a batch job that commits thousands of transactions, each queuing a message (the
    scheduled-transfers run): the messages its transactions queued are still published only
    after each one commits, but as one task per ``BATCH_SIZE`` messages (and the rest when the
    block ends) instead of one task each — a broker publish cost more than the rest of such a
    transaction's Python work. Each message is still delivered on its own (its own claim and
    lease, ``outbox_deliver``); a process that dies before publishing a batch leaves its
    rows pending for the periodic relay, as a broker outage does."""
    token = _batch.set([])
    try:
        yield
    finally:
        pending = _batch.get()
        _batch.reset(token)
        if pending:
            _publish(pending)


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


def outbox_retry(*, message: OutboxMessage) -> None:
    """Staff action: put a failed message back in the queue."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    _schedule(message.pk)
