"""Interbank orders: created with the posting, then submitted and followed by Celery.

:func:`interbank_order_process` moves one order one step: pending → submitted (gateway
``submit``), submitted → settled or rejected (gateway ``poll``). A rejection posts the
reversal of the transfer (member credited back, fee refunded), marks the transfer rejected
and emails the member — all in one transaction. Rows are locked with SKIP LOCKED so two
workers never process the same order at once.

Submission and polling are separate transactions: the submission (the clearing house's
reference, the "submitted" event) is committed before the first poll, and every submission
carries the order's idempotency reference, so neither a failing poll nor a crash between the
gateway's answer and the commit can make the clearing house pay twice.

Failures (:func:`_fail_or_retry`):

* transient errors (``transfers.ach.TRANSIENT_ERRORS``: gateway unreachable, timeouts) back
  off exponentially (5 s doubling, at most 30 min; the exponent is capped so the arithmetic
  cannot overflow) and are retried up to ``settings.INTERBANK_MAX_ATTEMPTS`` attempts;
* any other exception is a programming error: retrying cannot fix it, so the order fails at
  once;
* a failed order is status ``failed``: no longer retried, listed under that filter in the
  admin with its last error and an event saying why. The money is **left for staff, not
  reversed**: the debit stays on the clearing account and the transfer keeps its status,
  because a submission whose answer was lost may still be cleared by the other bank, and an
  automatic reversal could then pay the member twice. Staff check with the clearing house
  (the order's idempotency reference identifies it there) before any correction.

One order's failure never stops the others: :func:`interbank_process_due` processes each
order on its own and logs whatever escapes it.
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import services as ledger

from .ach import TRANSIENT_ERRORS, gateway
from .emails import transfer_email_member
from .models import InterbankOrder, InterbankOrderEvent, Transfer, TransferStatus

logger = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=30)
# 5 s × 2**9 already passes MAX_BACKOFF; a larger exponent only risks overflowing timedelta.
MAX_BACKOFF_EXPONENT = 9
# attempts is a PositiveSmallIntegerField: never count past what the column holds.
MAX_ATTEMPTS_STORED = 32767


def interbank_order_create(*, transfer: Transfer) -> InterbankOrder:
    """Call inside the transaction that posts ``transfer``."""
    order = InterbankOrder.objects.create(transfer=transfer, next_attempt_at=timezone.now())
    InterbankOrderEvent.objects.create(order=order, status=order.status)

    def publish() -> None:
        from .tasks import interbank_order_process_task

        try:
            interbank_order_process_task.delay(order.pk)
        except Exception:  # broker down: the periodic task picks the order up
            logger.warning("interbank: could not publish order %s", order.pk)

    transaction.on_commit(publish)
    return order


def _record(order: InterbankOrder, status: str, note: str = "") -> None:
    order.status = status
    InterbankOrderEvent.objects.create(order=order, status=status, note=note[:200])


def _reject(order: InterbankOrder, reason: str) -> None:
    transfer = Transfer.objects.select_for_update().get(pk=order.transfer_id)
    reversal = ledger.posting_reverse(
        posting=transfer.posting,
        description=_("Reversal: transfer %(code)s rejected by the other bank")
        % {"code": transfer.verification_code},
    )
    transfer.reversal_posting = reversal
    transfer.move_to(TransferStatus.REJECTED)
    transfer.save(update_fields=["reversal_posting", "status"])
    order.rejection_reason = reason[:200]
    _record(order, InterbankOrder.Status.REJECTED, reason)
    transfer_email_member(
        transfer,
        subject=_("Your transfer %(code)s was rejected") % {"code": transfer.verification_code},
        template="transfers/email/transfer_rejected",
        context={"transfer": transfer, "reason": reason},
    )


def _fail_or_retry(order: InterbankOrder, exc: Exception, now) -> None:
    """Count a failed step: back off on a transient error, give up on a bug or at the cap.

    Never raises for any attempt count: the exponent is capped before the power is taken
    (``timedelta * 2**44`` overflowed and turned the error handler itself into the error).
    """
    order.attempts = min(order.attempts + 1, MAX_ATTEMPTS_STORED)
    order.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    transient = isinstance(exc, TRANSIENT_ERRORS)
    if not transient or order.attempts >= settings.INTERBANK_MAX_ATTEMPTS:
        note = (
            f"gave up after {order.attempts} attempts: {order.last_error}"
            if transient
            else f"programming error: {order.last_error}"
        )
        _record(order, InterbankOrder.Status.FAILED, note)
        logger.error("interbank: order %s failed: %s", order.pk, order.last_error)
        return
    exponent = min(order.attempts, MAX_BACKOFF_EXPONENT)
    order.next_attempt_at = now + min(MAX_BACKOFF, POLL_INTERVAL * 2**exponent)
    logger.warning("interbank: order %s: %s", order.pk, order.last_error)


def _lock_open(order_id: int, status: str) -> InterbankOrder | None:
    return (
        InterbankOrder.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("transfer", "transfer__destination_bank")
        .filter(pk=order_id, status=status)
        .first()
    )


@contextmanager
def _step(order_id: int, status: str):
    """One step of an order, in its own transaction: the open order in ``status``, locked,
    and the time, as ``(order, now)`` (None if it is busy or has moved on). The body runs in
    a savepoint; a failure there is counted (back-off or give up, ``_fail_or_retry``) instead
    of raised, and the order is saved either way."""
    with transaction.atomic():
        order = _lock_open(order_id, status)
        if order is None:
            yield None
            return
        now = timezone.now()
        try:
            with transaction.atomic():  # a failed step leaves no half-written events or postings
                yield order, now
                order.save()
        except Exception as exc:  # noqa: BLE001 - classified in _fail_or_retry
            order.refresh_from_db()
            _fail_or_retry(order, exc, now)
            order.save()


def _submit_order(order: InterbankOrder, now) -> None:
    order.reference = gateway().submit(order, idempotency_reference=order.idempotency_reference)
    order.submitted_at = now
    _record(order, InterbankOrder.Status.SUBMITTED, order.reference)


def _poll_order(order: InterbankOrder, now) -> None:
    result = gateway().poll(order)
    if result.outcome == "settled":
        transfer = Transfer.objects.select_for_update().get(pk=order.transfer_id)
        transfer.move_to(TransferStatus.SETTLED)
        transfer.save(update_fields=["status"])
        _record(order, InterbankOrder.Status.SETTLED)
    elif result.outcome == "rejected":
        _reject(order, result.reason)
    else:
        order.next_attempt_at = now + POLL_INTERVAL


def _submit(order_id: int) -> str | None:
    """pending → submitted, in its own transaction, committed before any poll."""
    with _step(order_id, InterbankOrder.Status.PENDING) as step:
        if step is not None:
            _submit_order(*step)
    return step[0].status if step is not None else None


def _poll(order_id: int) -> str | None:
    """submitted → settled | rejected (reversal), or still submitted with the next poll time."""
    with _step(order_id, InterbankOrder.Status.SUBMITTED) as step:
        if step is not None:
            _poll_order(*step)
    return step[0].status if step is not None else None


def interbank_order_process(*, order_id: int) -> str | None:
    """Advance one order by one step; return its new status (None if busy or closed).

    A pending order is submitted and the submission committed; then it is polled at once (a
    clearing house may answer straight away) in a second transaction, so a failing poll can
    never undo the record of a submission that the clearing house already has.
    """
    status = _submit(order_id)
    if status not in (None, InterbankOrder.Status.SUBMITTED):
        return status
    polled = _poll(order_id)
    return polled if polled is not None else status


def interbank_process_due(*, limit: int = 200) -> int:
    """Advance every open order whose time has come; return how many were looked at.

    Each order is isolated: whatever one order raises (even outside its own error handling,
    e.g. the database refusing its row) is logged and the run goes on with the next one.
    """
    due = list(
        InterbankOrder.objects.filter(
            status__in=[InterbankOrder.Status.PENDING, InterbankOrder.Status.SUBMITTED],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        try:
            interbank_order_process(order_id=pk)
        except Exception:  # noqa: BLE001 - one order's failure must not stop the others
            logger.exception("interbank: order %s could not be processed", pk)
    return len(due)
