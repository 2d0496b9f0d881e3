"""Celery tasks of the loans app."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(acks_late=True)
def accrue_penalties_task() -> int:
    """Daily (celery beat): accrue penalty interest on overdue instalments up to today.

    Safe to run more than once a day or to re-run after a failure: accrual is idempotent per
    date (see :func:`loans.services.loan_accrue_penalties`).
    """
    return services.loan_accrue_penalties(as_of=timezone.localdate())


@shared_task(acks_late=True)
def instalment_reminders_task() -> int:
    """Daily (celery beat): "due in 3 days" and "overdue" notices, once per instalment."""
    from .reminders import instalment_reminders_send

    return instalment_reminders_send(as_of=timezone.localdate())
