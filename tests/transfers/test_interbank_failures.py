"""Interbank orders that fail: bounded retries, isolation, and never a second submission."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from beneficiaries.models import Bank
from ledger.invariants import ledger_breaches
from tests.factories import make_account, make_member, make_user, priced_transfer_execute
from transfers.ach import GatewayUnavailable, SimulatedClearingHouse
from transfers.interbank import interbank_order_process, interbank_process_due
from transfers.models import InterbankOrder, TransferStatus, TransferType
from transfers.services import TransferOrder

pytestmark = pytest.mark.django_db

HERE = "tests.transfers.test_interbank_failures"


@pytest.fixture(autouse=True)
def clean_clearing_house():
    SimulatedClearingHouse.reset()
    yield
    SimulatedClearingHouse.reset()


@pytest.fixture
def sender():
    member = make_member(email="sender@example.com")
    return make_user(member=member, email="sender@example.com")


def _send(user, source, number="1234567890"):
    """An other-bank transfer, without running its on-commit publish (tests drive the order)."""
    order = TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Pago de Servicios de Consultoria",
        bank_id=Bank.objects.get(code="BUN").pk,
        destination_number=number,
        destination_name="Consultora Silvia",
        destination_currency="BOB",
    )
    return priced_transfer_execute(user=user, order=order)


class DownGateway(SimulatedClearingHouse):
    def submit(self, order, *, idempotency_reference):
        raise GatewayUnavailable("clearing house unreachable")


class BuggyGateway(SimulatedClearingHouse):
    def submit(self, order, *, idempotency_reference):
        raise KeyError("a bug, not an outage")


class PollFailsOnceGateway(SimulatedClearingHouse):
    """Accepts the submission, then the first poll's connection drops."""

    polls = 0

    def poll(self, order):
        type(self).polls += 1
        if type(self).polls == 1:
            raise ConnectionError("connection reset while polling")
        return super().poll(order)


class BugForOneOrderGateway(SimulatedClearingHouse):
    """Raises an unexpected error for one order only (set ``broken_pk``)."""

    broken_pk = None

    def submit(self, order, *, idempotency_reference):
        if order.pk == type(self).broken_pk:
            raise RuntimeError("unexpected answer for this order")
        return super().submit(order, idempotency_reference=idempotency_reference)


def test_an_order_that_fails_100_times_is_given_up_and_never_blocks_the_job(sender, settings):
    """44 failures overflowed the backoff inside the error handler; now the attempts are
    capped, the order shows as failed, and the job keeps running."""
    settings.ACH_GATEWAY = f"{HERE}.DownGateway"
    settings.INTERBANK_MAX_ATTEMPTS = 1000  # let it fail 100 times before the cap
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    for _ in range(100):
        InterbankOrder.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
        assert interbank_process_due() == 1  # raised OverflowError at the 44th on the old code
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.PENDING
    assert order.attempts == 100
    # The backoff stays bounded: at most 30 minutes away.
    assert order.next_attempt_at <= timezone.now() + timedelta(minutes=30, seconds=1)
    settings.INTERBANK_MAX_ATTEMPTS = 101
    InterbankOrder.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    interbank_process_due()
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.FAILED
    assert "gave up after 101 attempts" in order.events.last().note
    # No longer due: the job does not look at it again.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert interbank_process_due() == 0
    # The money is left for staff: no reversal, the debit stays on the clearing account.
    transfer = order.transfer
    transfer.refresh_from_db()
    assert transfer.reversal_posting_id is None
    assert transfer.status != TransferStatus.REJECTED
    assert ledger_breaches() == []


def test_the_default_attempt_cap_fails_the_order(sender, settings):
    settings.ACH_GATEWAY = f"{HERE}.DownGateway"
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    for _ in range(settings.INTERBANK_MAX_ATTEMPTS):
        interbank_order_process(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.FAILED
    assert order.attempts == settings.INTERBANK_MAX_ATTEMPTS
    assert interbank_order_process(order_id=order.pk) is None


def test_a_programming_error_fails_the_order_at_once(sender, settings):
    settings.ACH_GATEWAY = f"{HERE}.BuggyGateway"
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    assert interbank_order_process(order_id=order.pk) == InterbankOrder.Status.FAILED
    order.refresh_from_db()
    assert order.attempts == 1
    assert "KeyError" in order.last_error
    assert list(order.events.values_list("status", flat=True)) == ["pending", "failed"]


def test_a_transient_error_is_retried_with_backoff(sender, settings):
    settings.ACH_GATEWAY = f"{HERE}.DownGateway"
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    before = timezone.now()
    assert interbank_order_process(order_id=order.pk) == InterbankOrder.Status.PENDING
    order.refresh_from_db()
    assert order.next_attempt_at >= before + timedelta(seconds=10)  # 5 s × 2**1


def test_one_failing_order_does_not_stop_the_batch(sender, settings):
    settings.ACH_SIMULATED_SETTLEMENT_SECONDS = 0
    settings.ACH_GATEWAY = f"{HERE}.BugForOneOrderGateway"
    source = make_account(member=sender.member, balance="2000")
    first = _send(sender, source).interbank_order
    second = _send(sender, source).interbank_order
    BugForOneOrderGateway.broken_pk = first.pk
    InterbankOrder.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert interbank_process_due() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == InterbankOrder.Status.FAILED
    assert second.status == InterbankOrder.Status.SETTLED


def test_one_order_raising_outside_its_handler_does_not_stop_the_batch(
    sender, settings, monkeypatch
):
    """Even an exception escaping the per-order processing (here: the status lookup itself)
    is contained to that order."""
    from transfers import interbank

    settings.ACH_SIMULATED_SETTLEMENT_SECONDS = 0
    source = make_account(member=sender.member, balance="2000")
    first = _send(sender, source).interbank_order
    second = _send(sender, source).interbank_order
    InterbankOrder.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    real = interbank._submit

    def explode_for_first(order_id):
        if order_id == first.pk:
            raise OverflowError("date value out of range")
        return real(order_id)

    monkeypatch.setattr(interbank, "_submit", explode_for_first)
    assert interbank_process_due() == 2
    second.refresh_from_db()
    assert second.status == InterbankOrder.Status.SETTLED


def test_a_poll_failure_after_a_good_submit_never_submits_again(sender, settings):
    settings.ACH_SIMULATED_SETTLEMENT_SECONDS = 0
    settings.ACH_GATEWAY = f"{HERE}.PollFailsOnceGateway"
    PollFailsOnceGateway.polls = 0
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    # Submit succeeds, the poll right after it fails: the submission stays recorded.
    assert interbank_order_process(order_id=order.pk) == InterbankOrder.Status.SUBMITTED
    order.refresh_from_db()
    assert order.reference == f"SIM-{order.pk:08d}"
    assert order.attempts == 1
    InterbankOrder.objects.filter(pk=order.pk).update(next_attempt_at=timezone.now())
    interbank_process_due()
    order.refresh_from_db()
    assert order.status == InterbankOrder.Status.SETTLED
    assert SimulatedClearingHouse.submit_calls[order.idempotency_reference] == 1
    assert len(SimulatedClearingHouse.accepted) == 1
    assert list(order.events.values_list("status", flat=True)) == [
        "pending",
        "submitted",
        "settled",
    ]


def test_the_clearing_house_honours_the_idempotency_reference(sender):
    source = make_account(member=sender.member, balance="2000")
    order = _send(sender, source).interbank_order
    house = SimulatedClearingHouse()
    first = house.submit(order, idempotency_reference="REF-1")
    assert house.submit(order, idempotency_reference="REF-1") == first
    assert SimulatedClearingHouse.submit_calls["REF-1"] == 2
    assert SimulatedClearingHouse.accepted == {"REF-1": first}
    with pytest.raises(ValueError):
        house.submit(order, idempotency_reference="")
