from celery import shared_task

from .interbank import interbank_order_process, interbank_process_due
from .services import transfers_expire_pending


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
    from .scheduled import scheduled_run_due

    return scheduled_run_due()
