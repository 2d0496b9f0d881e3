"""Transfer engine: FX and fee postings, the regulatory rule, limits, idempotency, co-signing."""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from beneficiaries.models import Bank
from ledger.invariants import ledger_breaches
from ledger.models import Account
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_transfer_cosign,
    signed_transfer_execute,
)
from transfers.exceptions import StaleQuote, TransferError
from transfers.models import DailyLimit, Transfer, TransferStatus, TransferType
from transfers.quotes import usd_equivalent
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db


def _order(source, destination=None, **overrides):
    fields = {
        "transfer_type": TransferType.OWN,
        "source_account_id": source.pk,
        "destination_account_id": destination.pk if destination else None,
        "currency": source.currency,
        "amount": Decimal("100.00"),
        "description": "Ahorro mensual",
    }
    fields.update(overrides)
    return TransferOrder(**fields)


def _execute(user, order, key=None):
    quote = transfer_prepare(user=user, order=order)
    return signed_transfer_execute(
        user=user,
        order=order,
        expected_fingerprint=quote.fingerprint(),
        idempotency_key=key or uuid.uuid4().hex,
    )


@pytest.fixture
def owner():
    member = make_member(email="owner@example.com")
    user = make_user(member=member, email="owner@example.com")
    return user


def test_own_transfer_posts_and_notifies(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    transfer = _execute(owner, _order(a, b, amount=Decimal("250.50")))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (Decimal("749.50"), Decimal("250.50"))
    assert transfer.status == TransferStatus.POSTED
    assert transfer.fee_amount == 0
    assert AuditEvent.objects.filter(event="transfer.created").count() == 1
    assert OutboxMessage.objects.filter(recipient="owner@example.com").count() == 1
    assert ledger_breaches() == []


def test_bob_to_usd_uses_sell_rate_and_fx_position(owner):
    bob = make_account(member=owner.member, currency="BOB", balance="1000")
    usd = make_account(member=owner.member, currency="USD")
    transfer = _execute(owner, _order(bob, usd, currency="USD", amount=Decimal("100.00")))
    assert transfer.debit_amount == Decimal("696.00")  # 100 USD at the official sell 6.96
    assert transfer.credit_amount == Decimal("100.00")
    bob.refresh_from_db()
    usd.refresh_from_db()
    assert bob.balance == Decimal("304.00")
    assert usd.balance == Decimal("100.00")
    assert Account.objects.get(code="FX_POSITION", currency="BOB").balance == Decimal("696.00")
    assert Account.objects.get(code="FX_POSITION", currency="USD").balance == Decimal("-100.00")
    assert ledger_breaches() == []


def test_usd_to_bob_uses_buy_rate(owner):
    usd = make_account(member=owner.member, currency="USD", balance="100")
    bob = make_account(member=owner.member, currency="BOB")
    transfer = _execute(owner, _order(usd, bob, currency="USD", amount=Decimal("10.00")))
    assert transfer.credit_amount == Decimal("68.60")
    transfer = _execute(owner, _order(usd, bob, currency="BOB", amount=Decimal("68.60")))
    assert transfer.debit_amount == Decimal("10.00")
    assert ledger_breaches() == []


def test_currency_must_be_source_or_destination(owner):
    a = make_account(member=owner.member, currency="BOB", balance="1000")
    b = make_account(member=owner.member, currency="BOB")
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(a, b, currency="USD"))


def test_other_bank_fee_goes_to_fee_income_and_money_to_clearing(owner):
    a = make_account(member=owner.member, balance="1000")
    bank = Bank.objects.get(code="BUN")
    order = _order(
        a,
        transfer_type=TransferType.OTHER_BANK,
        bank_id=bank.pk,
        destination_number="0012345678",
        destination_name="Consultora Silvia",
        destination_currency="BOB",
        amount=Decimal("500.00"),
    )
    transfer = _execute(owner, order)
    assert transfer.fee_amount == Decimal("5.00")
    assert transfer.status == TransferStatus.SENT
    a.refresh_from_db()
    assert a.balance == Decimal("495.00")
    assert Account.objects.get(code="FEE_INCOME", currency="BOB").balance == Decimal("5.00")
    assert Account.objects.get(code="CLEARING", currency="BOB").balance == Decimal("500.00")
    assert ledger_breaches() == []


def test_balance_must_cover_the_fee(owner):
    a = make_account(member=owner.member, balance="502.00")
    order = _order(
        a,
        transfer_type=TransferType.OTHER_BANK,
        bank_id=Bank.objects.get(code="BUN").pk,
        destination_number="0012345678",
        destination_name="X",
        destination_currency="BOB",
        amount=Decimal("500.00"),
    )
    with pytest.raises(TransferError, match="saldo|balance"):
        transfer_prepare(user=owner, order=order)


@pytest.mark.parametrize(
    ("amount", "required"),
    [(Decimal("999.99"), False), (Decimal("1000.00"), False), (Decimal("1000.01"), True)],
)
def test_regulatory_threshold_in_usd(owner, amount, required):
    usd = make_account(member=owner.member, currency="USD", balance="5000")
    other = make_account(member=owner.member, currency="USD")
    quote = transfer_prepare(
        user=owner,
        order=_order(usd, other, amount=amount, funds_origin="Ahorros", funds_destination="Viaje"),
    )
    assert quote.exceeds_threshold is required
    if required:
        with pytest.raises(TransferError) as excinfo:
            transfer_prepare(user=owner, order=_order(usd, other, amount=amount))
        assert excinfo.value.field == "funds_origin"
    else:
        transfer_prepare(user=owner, order=_order(usd, other, amount=amount))


def test_regulatory_rule_accumulates_bob_over_five_days(owner):
    bob = make_account(member=owner.member, currency="BOB", balance="20000")
    other = make_account(member=owner.member, currency="BOB")
    # 3,430.00 BOB = 500.00 USD at the official buy rate 6.86.
    with time_machine.travel(timezone.now() - timedelta(days=4, hours=23)):
        _execute(owner, _order(bob, other, amount=Decimal("3430.00")))
    quote = transfer_prepare(
        user=owner,
        order=_order(
            bob, other, amount=Decimal("3430.00"), funds_origin="Ahorro", funds_destination="Viaje"
        ),
    )
    assert quote.rolling_usd_total == Decimal("1000.00")
    assert quote.exceeds_threshold is False
    quote = transfer_prepare(
        user=owner,
        order=_order(
            bob, other, amount=Decimal("3430.07"), funds_origin="Ahorro", funds_destination="Viaje"
        ),
    )
    # 3,430.07 BOB is USD 500.0102: counted as 500.02 (rounded up, never under-counted).
    assert quote.rolling_usd_total == Decimal("1000.02")
    assert quote.exceeds_threshold is True


def test_regulatory_rule_counts_a_fraction_of_a_cent_above_the_threshold(owner):
    # 3,430.00 + 3,430.01 BOB is USD 1,000.0015 at 6.86: above USD 1,000, so the declarations
    # are due. Rounding each transfer's USD figure half-up made it 1,000.00 and let the member
    # go past the threshold by a fraction of a cent without them.
    bob = make_account(member=owner.member, currency="BOB", balance="20000")
    other = make_account(member=owner.member, currency="BOB")
    _execute(owner, _order(bob, other, amount=Decimal("3430.00")))
    quote = transfer_prepare(
        user=owner,
        order=_order(
            bob, other, amount=Decimal("3430.01"), funds_origin="Ahorro", funds_destination="Viaje"
        ),
    )
    assert quote.usd_equivalent == Decimal("500.01")
    assert quote.exceeds_threshold is True
    with pytest.raises(TransferError) as excinfo:
        transfer_prepare(user=owner, order=_order(bob, other, amount=Decimal("3430.01")))
    assert excinfo.value.field == "funds_origin"


@pytest.mark.django_db
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=st.integers(min_value=1, max_value=10**11))
def test_usd_equivalent_of_bolivianos_never_undercounts(cents):
    """The USD figure of any boliviano amount is the fewest cents that cover it at the buy rate:
    never less (the 5-day rule would under-count), never a cent more than needed."""
    amount = Decimal(cents) / 100
    usd = usd_equivalent(amount=amount, currency="BOB", on=timezone.localdate())
    rate = Decimal("6.86")
    assert usd * rate >= amount
    assert (usd - Decimal("0.01")) * rate < amount


def test_transfers_older_than_five_days_do_not_count(owner):
    bob = make_account(member=owner.member, currency="BOB", balance="20000")
    other = make_account(member=owner.member, currency="BOB")
    with time_machine.travel(timezone.now() - timedelta(days=5, minutes=1)):
        _execute(owner, _order(bob, other, amount=Decimal("6860.00")))
    quote = transfer_prepare(user=owner, order=_order(bob, other, amount=Decimal("10.00")))
    assert quote.rolling_usd_total == Decimal("1.46")


def test_daily_limit(owner):
    DailyLimit.objects.filter(transfer_type="own").update(amount_bob=Decimal("1000.00"))
    a = make_account(member=owner.member, balance="5000")
    b = make_account(member=owner.member)
    _execute(owner, _order(a, b, amount=Decimal("600.00")))
    with pytest.raises(TransferError, match="límite|limit"):
        transfer_prepare(user=owner, order=_order(a, b, amount=Decimal("400.01")))
    transfer_prepare(user=owner, order=_order(a, b, amount=Decimal("400.00")))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("1.001")])
def test_bad_amounts(owner, amount):
    a = make_account(member=owner.member, balance="5000")
    b = make_account(member=owner.member)
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(a, b, amount=amount))
    assert Transfer.objects.count() == 0


def test_foreign_source_and_same_destination_refused(owner):
    stranger = make_member()
    foreign = make_account(member=stranger, balance="1000")
    mine = make_account(member=owner.member, balance="1000")
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(foreign, mine))
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(mine, mine))
    # An "own" transfer cannot land in someone else's account.
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(mine, foreign))


def test_third_party_must_not_be_own_account(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    with pytest.raises(TransferError):
        transfer_prepare(user=owner, order=_order(a, b, transfer_type=TransferType.THIRD_PARTY))


def test_changed_amount_invalidates_signature(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    order = _order(a, b)
    quote = transfer_prepare(user=owner, order=order)
    tampered = _order(a, b, amount=Decimal("900.00"))
    with pytest.raises(StaleQuote):
        signed_transfer_execute(
            user=owner,
            order=tampered,
            expected_fingerprint=quote.fingerprint(),
            idempotency_key="k",
        )
    assert Transfer.objects.count() == 0


def test_same_key_twice_gives_the_first_transfer(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    first = _execute(owner, _order(a, b), key="same")
    second = _execute(owner, _order(a, b), key="same")
    assert first.pk == second.pk
    a.refresh_from_db()
    assert a.balance == Decimal("900.00")


def test_joint_account_waits_for_every_holder():
    maria = make_member(email="m@example.com")
    juan = make_member(email="j@example.com")
    maria_user = make_user(member=maria)
    juan_user = make_user(member=juan)
    joint = make_account(
        member=maria, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(juan,), balance="1000"
    )
    target = make_account(member=maria)
    transfer = _execute(maria_user, _order(joint, target, amount=Decimal("300.00")))
    assert transfer.status == TransferStatus.PENDING_COSIGN
    joint.refresh_from_db()
    assert joint.balance == Decimal("1000")  # nothing moves before every signature
    with pytest.raises(TransferError):
        signed_transfer_cosign(user=maria_user, transfer_id=transfer.pk, approve=True)
    transfer = signed_transfer_cosign(user=juan_user, transfer_id=transfer.pk, approve=True)
    assert transfer.status == TransferStatus.POSTED
    joint.refresh_from_db()
    assert joint.balance == Decimal("700.00")
    assert ledger_breaches() == []


def test_joint_account_declined_moves_nothing():
    maria, juan = make_member(), make_member()
    maria_user, juan_user = make_user(member=maria), make_user(member=juan)
    joint = make_account(
        member=maria, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(juan,), balance="1000"
    )
    target = make_account(member=maria)
    transfer = _execute(maria_user, _order(joint, target))
    transfer = signed_transfer_cosign(user=juan_user, transfer_id=transfer.pk, approve=False)
    assert transfer.status == TransferStatus.DECLINED
    joint.refresh_from_db()
    assert joint.balance == Decimal("1000")


def test_stranger_cannot_cosign():
    maria, juan = make_member(), make_member()
    maria_user = make_user(member=maria)
    stranger = make_user(member=make_member())
    joint = make_account(
        member=maria, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(juan,), balance="1000"
    )
    transfer = _execute(maria_user, _order(joint, make_account(member=maria)))
    with pytest.raises(TransferError):
        signed_transfer_cosign(user=stranger, transfer_id=transfer.pk, approve=True)


def _threads(target, count):
    errors = []

    def wrapper(i):
        try:
            target(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_confirms_with_one_key_make_one_transfer():
    owner = make_user(member=make_member())
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    order = _order(a, b)
    fingerprint = transfer_prepare(user=owner, order=order).fingerprint()
    results = []

    def confirm(_):
        transfer = signed_transfer_execute(
            user=owner, order=order, expected_fingerprint=fingerprint, idempotency_key="once"
        )
        results.append(transfer.pk)

    assert _threads(confirm, 20) == []
    assert len(set(results)) == 1
    assert Transfer.objects.count() == 1
    a.refresh_from_db()
    assert a.balance == Decimal("900.00")
    assert ledger_breaches() == []


@pytest.mark.django_db(transaction=True)
def test_overdraw_race_exactly_one_succeeds():
    owner = make_user(member=make_member())
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    outcomes = []

    def attempt(i):
        order = _order(a, b, amount=Decimal("600.00"))
        try:
            quote = transfer_prepare(user=owner, order=order)
            signed_transfer_execute(
                user=owner,
                order=order,
                expected_fingerprint=quote.fingerprint(),
                idempotency_key=f"race-{i}",
            )
            outcomes.append("ok")
        except TransferError:
            outcomes.append("refused")

    assert _threads(attempt, 20) == []
    assert outcomes.count("ok") == 1
    a.refresh_from_db()
    assert a.balance == Decimal("400.00")
    assert ledger_breaches() == []
