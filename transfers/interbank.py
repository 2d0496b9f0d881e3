"""Interbank orders: created with the posting, then submitted and followed by Celery.

:func:`interbank_order_process` moves one order one step: pending → submitted (gateway
``submit``), submitted → settled or rejected (gateway ``poll``). A rejection posts the
reversal of the transfer (member credited back, fee refunded), marks the transfer rejected
and emails the member — all in one transaction. Rows are locked with SKIP LOCKED so two
workers never process the same order at once; transport errors back off and retry.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.outbox import email_enqueue
from ledger import services as ledger

from .ach import gateway
from .models import InterbankOrder, InterbankOrderEvent, Transfer, TransferStatus

logger = logging.getLogger(__name__)

POLL_INTERVAL = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=30)


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
    email = transfer.created_by.email or transfer.member.email
    if email:
        email_enqueue(
            to=email,
            subject=_("Your transfer %(code)s was rejected") % {"code": transfer.verification_code},
            template="transfers/email/transfer_rejected",
            context={"transfer": transfer, "reason": reason},
        )


def _advance(order: InterbankOrder, now) -> None:
    ach = gateway()
    if order.status == InterbankOrder.Status.PENDING:
        order.reference = ach.submit(order)
        order.submitted_at = now
        _record(order, InterbankOrder.Status.SUBMITTED, order.reference)
    # Poll right after submitting too: a clearing house may answer at once (the simulated one
    # does for malformed numbers, or with a zero settlement delay).
    result = ach.poll(order)
    if result.outcome == "settled":
        transfer = Transfer.objects.select_for_update().get(pk=order.transfer_id)
        transfer.move_to(TransferStatus.SETTLED)
        transfer.save(update_fields=["status"])
        _record(order, InterbankOrder.Status.SETTLED)
    elif result.outcome == "rejected":
        _reject(order, result.reason)
    else:
        order.next_attempt_at = now + POLL_INTERVAL
    order.save()


def interbank_order_process(*, order_id: int) -> str | None:
    """Advance one order by one step; return its new status (None if busy or closed)."""
    with transaction.atomic():
        order = (
            InterbankOrder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("transfer", "transfer__destination_bank")
            .filter(
                pk=order_id,
                status__in=[InterbankOrder.Status.PENDING, InterbankOrder.Status.SUBMITTED],
            )
            .first()
        )
        if order is None:
            return None
        now = timezone.now()
        try:
            # A savepoint per step: a failed step leaves no half-written events or postings.
            with transaction.atomic():
                _advance(order, now)
        except Exception as exc:  # noqa: BLE001 - gateway transport errors are retried
            order.refresh_from_db()
            order.attempts += 1
            order.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            order.next_attempt_at = now + min(MAX_BACKOFF, POLL_INTERVAL * 2**order.attempts)
            logger.warning("interbank: order %s: %s", order.pk, order.last_error)
        order.save()
        return order.status


def interbank_process_due(*, limit: int = 200) -> int:
    """Advance every open order whose time has come; return how many were looked at."""
    due = list(
        InterbankOrder.objects.filter(
            status__in=[InterbankOrder.Status.PENDING, InterbankOrder.Status.SUBMITTED],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        interbank_order_process(order_id=pk)
    return len(due)
