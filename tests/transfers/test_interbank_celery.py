"""Interbank orders through a REAL Celery worker (another process, Redis broker, SMTP sink).

The test process publishes on commit exactly as production does; the worker submits the order
to the simulated clearing house, and the periodic task (published here, run by the worker)
settles it. A rejection posts the reversal and the worker delivers the email over SMTP.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from beneficiaries.models import Bank
from ledger.invariants import ledger_breaches
from ledger.models import Account
from tests.factories import make_account, make_member, make_user, priced_transfer_execute
from tests.integration_fixtures import wait_until
from transfers.models import InterbankOrder, Transfer, TransferStatus, TransferType
from transfers.services import TransferOrder
from transfers.tasks import interbank_process_due_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _send(number: str) -> Transfer:
    member = make_member(email="sender@example.com")
    user = make_user(member=member, email="sender@example.com")
    source = make_account(member=member, balance="2000")
    order = TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("1000.00"),
        description="Pago de Servicios de Consultoria",
        bank_id=Bank.objects.get(code="BUN").pk,
        destination_number=number,
        destination_name="Consultora Silvia",
        destination_currency="BOB",
    )
    return priced_transfer_execute(user=user, order=order)


def _order_status(transfer: Transfer, *statuses: str):
    order = InterbankOrder.objects.get(transfer=transfer)
    return order if order.status in statuses else None


def test_worker_submits_then_the_periodic_task_settles(celery_live):
    transfer = _send("1234567890")
    # The on-commit publish reached the worker: submitted, still pending at the clearing house.
    order = wait_until(
        lambda: _order_status(transfer, InterbankOrder.Status.SUBMITTED), "order submitted"
    )
    assert order.reference.startswith("SIM-")
    # Let the simulated settlement delay pass without sleeping: move the submission back.
    past = timezone.now() - timedelta(minutes=5)
    InterbankOrder.objects.filter(pk=order.pk).update(submitted_at=past, next_attempt_at=past)
    interbank_process_due_task.delay()
    wait_until(lambda: _order_status(transfer, InterbankOrder.Status.SETTLED), "order settled")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SETTLED
    assert list(order.events.values_list("status", flat=True)) == [
        "pending",
        "submitted",
        "settled",
    ]
    assert Account.objects.get(code="CLEARING", currency="BOB").balance == Decimal("1000.00")
    assert ledger_breaches() == []


def test_worker_rejects_reverses_and_emails(celery_live, smtp_sink):
    transfer = _send("12-AB")  # not 8-16 digits: the simulated clearing house rejects it
    wait_until(lambda: _order_status(transfer, InterbankOrder.Status.REJECTED), "order rejected")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REJECTED
    assert transfer.reversal_posting.reverses_id == transfer.posting_id
    transfer.source_account.refresh_from_db()
    assert transfer.source_account.balance == Decimal("2000.00")  # amount and fee back
    assert Account.objects.get(code="FEE_INCOME", currency="BOB").balance == Decimal("0.00")
    subjects = [m["Subject"] for m in smtp_sink.wait_for("sender@example.com", count=2)]
    assert any("rechaz" in s for s in subjects), subjects
    assert ledger_breaches() == []
