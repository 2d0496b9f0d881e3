"""Property: no sequence of conversions mints money (transfers/quotes.py's conversion policy).

For any sequence of up to six transfers between a member's BOB and USD accounts (any amounts,
either transfer currency), the member's holdings valued at the official sell rate never
increase, and the FX position account, valued at either official rate, never loses. The same
for third-party and other-bank transfers across currencies: payer and payee (or the clearing
account that pays the other bank) together never gain, and the FX position never loses.

Every step goes through the real services: ``transfer_prepare`` prices and checks it
(``quote_build``), ``transfer_execute`` re-prices it under the member lock, writes the transfer
and posts it through ``ledger.services.posting_create`` on PostgreSQL. Each example runs in a
savepoint that is rolled back, so the examples share one set of accounts and stay fast.

``make test`` runs 100 examples per property; ``make reliability`` sets FX_PROPERTY_EXAMPLES
(10,000) and shows the result as its "fx_property" row.
"""

import os
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beneficiaries.models import Bank
from ledger import services as ledger
from ledger.exceptions import LedgerError
from ledger.invariants import ledger_breaches
from ledger.models import Account, ExchangeRate, Posting
from ledger.selectors import exchange_rate_get
from tests.factories import make_account, make_member, make_user
from transfers.exceptions import TransferError
from transfers.models import Transfer, TransferType
from transfers.services import (
    TransferOrder,
    _checked,
    _posting_lines,
    transfer_execute,
    transfer_prepare,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FX_PROPERTY_EXAMPLES", "100"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # The accounts are made once per test; each example rolls its own work back.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def uncapped(settings):
    """The new-beneficiary cap is another rule (tests/transfers/test_beneficiary_cap.py). Set
    once per test, not in each example: every assignment through pytest-django's ``settings``
    stacks another override, and 10,000 examples (make reliability) overflowed the stack."""
    settings.BENEFICIARY_COOLING_LIMIT = {"BOB": Decimal("1e9"), "USD": Decimal("1e9")}


# Cents: mostly the small amounts where rounding decides, sometimes large ones.
CENTS = st.one_of(
    st.integers(min_value=1, max_value=120),
    st.integers(min_value=1, max_value=2_000_00),
)
AMOUNTS = CENTS.map(lambda cents: Decimal(cents) / 100)
# (from BOB?, amount typed in the source currency?, amount)
STEPS = st.lists(st.tuples(st.booleans(), st.booleans(), AMOUNTS), min_size=1, max_size=6)


class _Rollback(Exception):
    pass


def _execute(user, order: TransferOrder):
    """The one place that calls the transfer services (their signature argument may change)."""
    quote = transfer_prepare(user=user, order=order)
    return transfer_execute(
        user=user,
        order=order,
        expected_fingerprint=quote.fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )


def _price_and_post(user, order: TransferOrder):
    """The fast path of the property: the real pricing and every check (``transfer_prepare``,
    the quote that ``transfer_execute`` re-computes and signs) and the real posting lines
    (``_posting_lines``) posted by ``ledger.services.posting_create``; only the transfer row,
    its audit row and its emails are left out, which move no money."""
    checked = _checked(user=user, order=order)
    quote, source, destination = checked.quote, checked.source, checked.destination
    transfer = Transfer(
        transfer_type=order.transfer_type,
        source_account=source,
        destination_account=destination.account,
        destination_currency=quote.destination_currency,
        debit_amount=quote.debit_amount,
        credit_amount=quote.credit_amount,
        fee_amount=quote.fee_amount,
        description=order.description,
    )
    try:
        ledger.posting_create(
            kind=Posting.Kind.TRANSFER,
            description=order.description,
            lines=_posting_lines(transfer=transfer),
        )
    except LedgerError as exc:
        raise TransferError(exc.message) from exc


# FX_PROPERTY_FULL=1 runs every step through transfer_execute (the transfer row, audit and
# emails too): about five times slower.
STEP = _execute if os.environ.get("FX_PROPERTY_FULL") == "1" else _price_and_post


def _rates() -> tuple[Decimal, Decimal]:
    from django.utils import timezone

    on = timezone.localdate()
    return (
        exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on),
        exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on),
    )


def _holdings(accounts: tuple[Account, ...]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """(what ``accounts`` hold together, what the FX position holds), per currency, in one
    query."""
    held = {"BOB": Decimal("0.00"), "USD": Decimal("0.00")}
    fx = dict(held)
    ids = {a.pk for a in accounts}
    for pk, currency, balance in Account.objects.filter(
        Q(pk__in=ids) | Q(code="FX_POSITION")
    ).values_list("pk", "currency", "balance"):
        (held if pk in ids else fx)[currency] += balance
    return held, fx


def _value(held: dict[str, Decimal], rate: Decimal) -> Decimal:
    return held["BOB"] + held["USD"] * rate


def _check_step(before, after, fx_before, fx_after, sell, buy, what):
    assert _value(after, sell) <= _value(before, sell), f"{what}: {before} -> {after}"
    for rate in (sell, buy):
        assert _value(fx_after, rate) >= _value(fx_before, rate), (
            f"{what}: FX position {fx_before} -> {fx_after} at {rate}"
        )


@pytest.fixture
def payer():
    member = make_member()
    user = make_user(member=member)
    bob = make_account(member=member, currency="BOB", balance="20000.00")
    usd = make_account(member=member, currency="USD", balance="3000.00")
    return user, bob, usd


def _run(steps, step_order, holders):
    """Run ``steps`` in a rolled-back savepoint, checking the property after each one."""
    sell, buy = _rates()
    try:
        with transaction.atomic():
            for step in steps:
                user, order = step_order(step)
                before, fx_before = _holdings(holders)
                try:
                    STEP(user, order)
                except TransferError:
                    # A refusal changes nothing.
                    assert _holdings(holders) == (before, fx_before)
                    continue
                after, fx_after = _holdings(holders)
                _check_step(before, after, fx_before, fx_after, sell, buy, step)
            assert ledger_breaches() == []
            raise _Rollback
    except _Rollback:
        pass


@PROPERTY
@given(steps=STEPS)
def test_own_conversions_never_mint(payer, steps):
    user, bob, usd = payer
    start = _holdings((bob, usd))

    def order_for(step):
        from_bob, typed_in_source, amount = step
        source, destination = (bob, usd) if from_bob else (usd, bob)
        currency = source.currency if typed_in_source else destination.currency
        return user, TransferOrder(
            transfer_type=TransferType.OWN,
            source_account_id=source.pk,
            destination_account_id=destination.pk,
            currency=currency,
            amount=amount,
            description="Cambio",
        )

    _run(steps, order_for, (bob, usd))
    assert _holdings((bob, usd)) == start  # the example's work was rolled back


@pytest.fixture
def payee():
    member = make_member()
    return (
        make_account(member=member, currency="BOB"),
        make_account(member=member, currency="USD"),
    )


@PROPERTY
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["third_party", "other_bank"]),
            st.booleans(),  # from the payer's BOB account?
            st.booleans(),  # to a BOB account?
            st.booleans(),  # amount typed in the source currency?
            AMOUNTS,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_transfers_to_others_across_currencies_never_mint(payer, payee, uncapped, steps):
    user, bob, usd = payer
    payee_bob, payee_usd = payee
    bank = Bank.objects.get(code="BUN")
    clearing = list(Account.objects.filter(code="CLEARING"))

    def order_for(step):
        kind, from_bob, to_bob, typed_in_source, amount = step
        source = bob if from_bob else usd
        destination_currency = "BOB" if to_bob else "USD"
        currency = source.currency if typed_in_source else destination_currency
        fields = {
            "source_account_id": source.pk,
            "currency": currency,
            "amount": amount,
            "description": "Pago",
        }
        if kind == "third_party":
            destination = payee_bob if to_bob else payee_usd
            return user, TransferOrder(
                transfer_type=TransferType.THIRD_PARTY,
                destination_account_id=destination.pk,
                **fields,
            )
        return user, TransferOrder(
            transfer_type=TransferType.OTHER_BANK,
            bank_id=bank.pk,
            destination_number="1234567890",
            destination_name="Consultora Silvia",
            destination_currency=destination_currency,
            **fields,
        )

    _run(steps, order_for, (bob, usd, payee_bob, payee_usd, *clearing))
