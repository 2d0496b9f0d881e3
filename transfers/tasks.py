import logging

from celery import shared_task
from django.conf import settings

from .interbank import interbank_order_process, interbank_process_due
from .services import transfers_expire_pending

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def interbank_order_process_task(order_id: int) -> None:
    # One step now; later polls come from the periodic interbank_process_due_task.
    interbank_order_process(order_id=order_id)


@shared_task(acks_late=True, ignore_result=True)
def interbank_process_due_task() -> int:
    return interbank_process_due()


@shared_task(acks_late=True, ignore_result=True)
def transfers_expire_pending_task() -> int:
    return transfers_expire_pending()


@shared_task(acks_late=True, ignore_result=True)
def scheduled_run_due_task() -> int:
    """The beat's run, fanned out to ``SCHEDULED_TRANSFER_RUNNERS`` worker tasks, one per share
    of members (``transfers.scheduled.scheduled_run_due``): 10,000 dates are a minute of work
    for one process, so the worker's processes share it. Every date is still claimed in its
    own transaction (SKIP LOCKED), so a share run twice, or a runner that sweeps what another
    left, posts nothing twice."""
    from .scheduled import scheduled_run_due

    shares = settings.SCHEDULED_TRANSFER_RUNNERS
    if shares <= 1:
        return scheduled_run_due()
    try:
        for share in range(shares):
            scheduled_run_share_task.delay(share, shares)
    except Exception:  # broker down: this process does the whole run itself
        logger.warning("scheduled transfers: could not fan out; running every share here")
        return scheduled_run_due()
    return 0


@shared_task(acks_late=True, ignore_result=True)
def scheduled_run_share_task(share: int, shares: int) -> int:
    from .scheduled import scheduled_run_due

    return scheduled_run_due(share=share, shares=shares)
