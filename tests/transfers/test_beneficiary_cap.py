"""The new-beneficiary cap belongs to the member and the destination account, not to a product
row (transfers/quotes.py, beneficiaries/selectors.py).

The attack: Bs 900 to a freshly registered product, delete it, register it again, Bs 900
again — Bs 1.800 within minutes against a Bs 1.000 cap. Every way of getting a "new" product
for the same destination (delete and re-register, rename, type the number, other-bank
products deleted and re-added) must draw on one allowance; each member has their own.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beneficiaries import services as beneficiaries
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.invariants import ledger_breaches
from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
    signed_beneficiary_delete,
    signed_beneficiary_register_member,
    signed_beneficiary_register_other_bank,
    signed_beneficiary_update,
)
from transfers.exceptions import TransferError
from transfers.models import Transfer, TransferStatus, TransferType
from transfers.services import TransferOrder, transfer_execute

pytestmark = pytest.mark.django_db

CAP = Decimal("1000.00")  # the default BENEFICIARY_COOLING_LIMIT["BOB"]
PERIOD = timedelta(hours=1)  # the default BENEFICIARY_COOLING_PERIOD
OTHER_NUMBER = "0100123456"


def _call(service, **kwargs):
    """The one place that calls the signed services (transfers and beneficiaries), so a new
    required argument (a signature receipt) is added here only."""
    if service is transfer_execute:
        order, user = kwargs["order"], kwargs["user"]
        return priced_transfer_execute(user=user, order=order)
    signed_wrapper = {
        beneficiaries.beneficiary_register_member: signed_beneficiary_register_member,
        beneficiaries.beneficiary_register_other_bank: signed_beneficiary_register_other_bank,
        beneficiaries.beneficiary_delete: signed_beneficiary_delete,
        beneficiaries.beneficiary_update: signed_beneficiary_update,
    }[service]
    return signed_wrapper(**kwargs)


@pytest.fixture
def sender():
    member = make_member()
    user = make_user(member=member)
    source = make_account(member=member, currency="BOB", balance="100000.00")
    return user, source


@pytest.fixture
def mule():
    return make_account(member=make_member(), currency="BOB")


def _register(user, account, alias="Mula"):
    return _call(
        beneficiaries.beneficiary_register_member,
        owner=user.member,
        actor=user,
        number=account.number,
        alias=alias,
    )


def _register_other(user, alias="Mula banco"):
    return _call(
        beneficiaries.beneficiary_register_other_bank,
        owner=user.member,
        actor=user,
        bank_id=Bank.objects.get(code="BUN").pk,
        product_type="savings",
        currency="BOB",
        number=OTHER_NUMBER,
        holder_name="Consultora Silvia",
        document_type="NIT",
        document_number="1023456027",
        alias=alias,
    )


def _delete(user, product):
    _call(beneficiaries.beneficiary_delete, product=product, actor=user)


def _rename(user, product, alias):
    return _call(beneficiaries.beneficiary_update, product=product, actor=user, alias=alias)


def _send(user, source, amount, *, product=None, account=None, kind=TransferType.THIRD_PARTY):
    fields = {}
    if kind == TransferType.OTHER_BANK and product is None:
        fields = {
            "bank_id": Bank.objects.get(code="BUN").pk,
            "destination_number": OTHER_NUMBER,
            "destination_name": "Consultora Silvia",
            "destination_currency": "BOB",
        }
    order = TransferOrder(
        transfer_type=kind,
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal(amount),
        description="Pago",
        beneficiary_id=product.pk if product is not None else None,
        destination_account_id=account.pk if account is not None else None,
        **fields,
    )
    return _call(transfer_execute, user=user, order=order)


def _credited(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def test_delete_and_register_again_does_not_reset_the_allowance(sender, mule):
    user, source = sender
    product = _register(user, mule)
    _send(user, source, "900.00", product=product)
    _delete(user, product)
    again = _register(user, mule, alias="Mula otra vez")
    assert again.pk != product.pk
    with pytest.raises(TransferError, match="Ya enviado: Bs 900,00"):
        _send(user, source, "900.00", product=again)
    _send(user, source, "100.00", product=again)  # what is left of the allowance
    assert _credited(mule) == CAP
    assert ledger_breaches() == []


def test_renaming_does_not_reset_the_allowance(sender, mule):
    user, source = sender
    product = _register(user, mule)
    _send(user, source, "900.00", product=product)
    product = _rename(user, product, "Nombre nuevo")
    with pytest.raises(TransferError):
        _send(user, source, "900.00", product=product)
    assert _credited(mule) == Decimal("900.00")


def test_typing_the_number_draws_on_the_same_allowance_before_and_after_registering(sender, mule):
    user, source = sender
    # Typed first (never registered), then registered: the typed Bs 900 still counts.
    _send(user, source, "900.00", account=mule)
    product = _register(user, mule)
    with pytest.raises(TransferError):
        _send(user, source, "900.00", product=product)
    # Deleted, then typed again: still the same allowance.
    _delete(user, product)
    with pytest.raises(TransferError):
        _send(user, source, "900.00", account=mule)
    assert _credited(mule) == Decimal("900.00")


def test_other_bank_product_deleted_and_added_again(sender):
    user, source = sender
    product = _register_other(user)
    _send(user, source, "900.00", product=product, kind=TransferType.OTHER_BANK)
    _delete(user, product)
    again = _register_other(user, alias="Otra vez")
    with pytest.raises(TransferError, match="Ya enviado: Bs 900,00"):
        _send(user, source, "900.00", product=again, kind=TransferType.OTHER_BANK)
    # The same bank and number typed without the product: the same allowance too.
    with pytest.raises(TransferError):
        _send(user, source, "900.00", kind=TransferType.OTHER_BANK)
    sent = Transfer.objects.filter(
        destination_number=OTHER_NUMBER, status__in=[TransferStatus.SENT]
    ).values_list("credit_amount", flat=True)
    assert sum(sent) == Decimal("900.00")


def test_two_members_have_independent_allowances(sender, mule):
    user, source = sender
    _send(user, source, "900.00", product=_register(user, mule))
    other = make_user(member=make_member())
    other_source = make_account(member=other.member, currency="BOB", balance="5000.00")
    _send(other, other_source, "900.00", product=_register(other, mule))
    assert _credited(mule) == Decimal("1800.00")


def test_the_window_starts_at_the_first_registration_deleted_rows_included(sender, mule):
    user, source = sender
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        product = _register(user, mule)
        _send(user, source, "900.00", product=product)
        clock.shift(timedelta(minutes=10))
        _delete(user, product)
        clock.shift(timedelta(minutes=10))
        again = _register(user, mule, alias="Otra vez")
        with pytest.raises(TransferError):
            _send(user, source, "200.00", product=again)
        # One cooling period after the FIRST registration the destination is no longer new,
        # although the live product is only 40 minutes old.
        clock.shift(PERIOD - timedelta(minutes=20))
        _send(user, source, "5000.00", product=again)
    assert _credited(mule) == Decimal("5900.00")


def test_a_never_registered_account_stays_capped_over_every_period(sender, mule):
    user, source = sender
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _send(user, source, "1000.00", account=mule)
        clock.shift(PERIOD - timedelta(seconds=1))
        with pytest.raises(TransferError):
            _send(user, source, "0.01", account=mule)
        clock.shift(timedelta(seconds=1))
        _send(user, source, "1000.00", account=mule)


# --- The property: no sequence of operations gets more than the cap to one destination within
# its cooling period.

# Amounts in cents: round sums that add up past the cap in two or three steps, and any amount.
CENTS = st.one_of(st.sampled_from([900_00, 600_00, 400_00]), st.integers(1, 1200_00))
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.none()),
        st.tuples(st.just("delete"), st.none()),
        st.tuples(st.just("rename"), st.none()),
        st.tuples(st.just("send_product"), CENTS),
        st.tuples(st.just("send_typed"), CENTS),
        st.tuples(st.just("wait"), st.sampled_from([1, 5, 20, 45, 61])),  # minutes
    ),
    min_size=1,
    max_size=12,
)


class _Rollback(Exception):
    pass


def _apply(user, source, mule, operations):
    """Run ``operations`` and return (first registration time or None, [(time, credit)])."""
    live = None
    for name, arg in operations:
        try:
            if name == "register" and live is None:
                live = _register(user, mule, alias=f"Mula {uuid.uuid4().hex[:6]}")
            elif name == "delete" and live is not None:
                _delete(user, live)
                live = None
            elif name == "rename" and live is not None:
                live = _rename(user, live, f"Alias {uuid.uuid4().hex[:6]}")
            elif name == "send_product" and live is not None:
                _send(user, source, Decimal(arg) / 100, product=live)
            elif name == "send_typed":
                _send(user, source, Decimal(arg) / 100, account=mule)
            elif name == "wait":
                yield timedelta(minutes=arg)
        except TransferError:
            pass


def _assert_capped(user, mule):
    first = (
        ThirdPartyProduct.objects.filter(owner=user.member, account=mule)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    credits = list(
        Transfer.objects.filter(member=user.member, destination_account=mule)
        .order_by("created_at")
        .values_list("created_at", "credit_amount")
    )
    for at, _credit in credits:
        if first is not None and at >= first + PERIOD:
            continue  # no longer a new beneficiary
        window = sum(c for t, c in credits if at - PERIOD < t <= at)
        assert window <= CAP, f"{window} within the period ending {at} (first {first})"
    if first is not None:
        cooling = sum(c for t, c in credits if first <= t < first + PERIOD)
        assert cooling <= CAP


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_no_sequence_of_operations_passes_the_cap(sender, mule, operations):
    from django.db import transaction

    user, source = sender
    try:
        with transaction.atomic(), time_machine.travel(timezone.now(), tick=False) as clock:
            for pause in _apply(user, source, mule, operations):
                clock.shift(pause)
            _assert_capped(user, mule)
            raise _Rollback
    except _Rollback:
        pass
