"""Interbank orders through the simulated clearing house: settle, reject with reversal."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from beneficiaries.models import Bank
from ledger.invariants import ledger_breaches
from ledger.models import Account
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
    signed_transfer_execute,
)
from transfers.interbank import interbank_order_process, interbank_process_due
from transfers.models import InterbankOrder, TransferStatus, TransferType
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender():
    member = make_member(email="sender@example.com")
    return make_user(member=member, email="sender@example.com")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Make an other-bank transfer and run its on-commit hooks (the Celery publish)."""

    def _send(user, source, number, amount="1000.00", bank_code="BUN"):
        with django_capture_on_commit_callbacks(execute=True):
            return _send_now(user, source, number, amount, bank_code)

    return _send


def _send_now(user, source, number, amount, bank_code):
    order = TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal(amount),
        description="Pago de Servicios de Consultoria",
        bank_id=Bank.objects.get(code=bank_code).pk,
        destination_number=number,
        destination_name="Consultora Silvia",
        destination_currency="BOB",
    )
    return priced_transfer_execute(user=user, order=order)


def test_order_is_written_with_the_transfer_and_settles_after_the_delay(sender, send, settings):
    settings.ACH_SIMULATED_SETTLEMENT_SECONDS = 5
    source = make_account(member=sender.member, balance="2000")
    transfer = send(sender, source, "1234567890")
    order = InterbankOrder.objects.get(transfer=transfer)
    # Eager Celery ran the first step after commit: submitted, not yet settled.
    assert order.status == InterbankOrder.Status.SUBMITTED
    assert order.reference.startswith("SIM-")
    with time_machine.travel(timezone.now() + timedelta(seconds=6)):
        assert interbank_process_due() == 1
    order.refresh_from_db()
    transfer.refresh_from_db()
    assert order.status == InterbankOrder.Status.SETTLED
    assert transfer.status == TransferStatus.SETTLED
    assert list(order.events.values_list("status", flat=True)) == [
        "pending",
        "submitted",
        "settled",
    ]
    assert Account.objects.get(code="CLEARING", currency="BOB").balance == Decimal("1000.00")
    assert ledger_breaches() == []


def test_rejected_order_reverses_money_and_fee_and_emails(sender, send):
    source = make_account(member=sender.member, balance="2000")
    transfer = send(sender, source, "12-AB")  # not 8-16 digits: the clearing house rejects
    transfer.refresh_from_db()
    order = transfer.interbank_order
    assert order.status == InterbankOrder.Status.REJECTED
    assert transfer.status == TransferStatus.REJECTED
    assert transfer.reversal_posting.reverses_id == transfer.posting_id
    source.refresh_from_db()
    assert source.balance == Decimal("2000.00")  # amount and fee credited back
    assert Account.objects.get(code="FEE_INCOME", currency="BOB").balance == Decimal("0.00")
    assert Account.objects.get(code="CLEARING", currency="BOB").balance == Decimal("0.00")
    assert OutboxMessage.objects.filter(
        recipient="sender@example.com", subject__icontains="rechaz"
    ).exists()
    assert ledger_breaches() == []


def test_closed_orders_are_not_processed_again(sender, send):
    source = make_account(member=sender.member, balance="2000")
    transfer = send(sender, source, "12-AB")
    order = transfer.interbank_order
    assert interbank_order_process(order_id=order.pk) is None
    source.refresh_from_db()
    assert source.balance == Decimal("2000.00")  # reversed once, not twice


class BrokenGateway:
    def submit(self, order, *, idempotency_reference):
        raise ConnectionError("clearing house unreachable")

    def poll(self, order):  # pragma: no cover - never reached
        raise AssertionError


def test_gateway_outage_backs_off_and_keeps_the_order(sender, send, settings):
    settings.ACH_GATEWAY = "tests.transfers.test_interbank.BrokenGateway"
    source = make_account(member=sender.member, balance="2000")
    transfer = send(sender, source, "1234567890")
    order = transfer.interbank_order
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.PENDING
    assert order.attempts == 1
    assert "unreachable" in order.last_error
    assert order.events.count() == 1
    settings.ACH_GATEWAY = "transfers.ach.SimulatedClearingHouse"
    settings.ACH_SIMULATED_SETTLEMENT_SECONDS = 0
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        interbank_process_due()
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.SETTLED


def test_staff_export_regulatory_declarations(staff_client, staff_user, sender):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(Permission.objects.get(codename="view_transfer"))
    source = make_account(member=sender.member, currency="USD", balance="5000")
    other = make_account(member=sender.member, currency="USD")
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=source.pk,
        destination_account_id=other.pk,
        currency="USD",
        amount=Decimal("1500.00"),
        description="Compra",
        funds_origin="=Venta de Mercaderias",
        funds_destination="Pago de Servicios Profesionales",
    )
    quote = transfer_prepare(user=sender, order=order)
    transfer = signed_transfer_execute(
        user=sender, order=order, expected_fingerprint=quote.fingerprint(), idempotency_key="x"
    )
    response = staff_client.post(
        "/admin/transfers/transfer/",
        {"action": "export_regulatory_csv", "_selected_action": [transfer.pk]},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert transfer.verification_code in body
    assert "'=Venta de Mercaderias" in body  # formula neutralised
    assert "1500.00" in body
