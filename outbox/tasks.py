from celery import shared_task

from .delivery import outbox_deliver, outbox_relay_due


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver_task(message_id: int) -> bool:
    # Retries live in the outbox row (attempts, backoff), not in Celery, so a message is never
    # lost with a task: the periodic relay below picks up whatever is due.
    return outbox_deliver(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver_many_task(message_ids: list[int]) -> int:
    # A batch job's messages (outbox.services.outbox_publishing_batched), each delivered on
    # its own claim as above.
    return sum(outbox_deliver(message_id=message_id) for message_id in message_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_relay_due_task() -> int:
    return outbox_relay_due()
