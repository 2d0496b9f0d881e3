"""The conversion policy's worked cases (transfers/quotes.py): rounding never favours the
member, a conversion below one cent is refused, step 4 shows the rate actually applied, and the
daily limit counts what leaves the account."""

import contextlib
import re
from decimal import Decimal

import pytest

from ledger.invariants import ledger_breaches
from ledger.models import Account
from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
)
from transfers.exceptions import TransferError
from transfers.models import DailyLimit, TransferType
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db

SELL = Decimal("6.96")  # the seeded official rates
BUY = Decimal("6.86")


def _execute(user, order):
    """The one place that calls the transfer services (their signature argument may change)."""
    return priced_transfer_execute(user=user, order=order)


@pytest.fixture
def owner():
    member = make_member()
    user = make_user(member=member)
    bob = make_account(member=member, currency="BOB", balance="1000.00")
    usd = make_account(member=member, currency="USD", balance="100.00")
    return user, bob, usd


def _own(source, destination, currency, amount):
    return TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=source.pk,
        destination_account_id=destination.pk,
        currency=currency,
        amount=Decimal(amount),
        description="Cambio",
    )


def _fx():
    return {a.currency: a.balance for a in Account.objects.filter(code="FX_POSITION")}


def test_directed_roundings():
    from ledger.money import quantize, quantize_down, quantize_up

    assert quantize_up(Decimal("0.001")) == Decimal("0.01")
    assert quantize_up(Decimal("0.01")) == Decimal("0.01")
    assert quantize_down(Decimal("0.019")) == Decimal("0.01")
    assert quantize_down(Decimal("0.01")) == Decimal("0.01")
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    with pytest.raises(TypeError):
        quantize_up(0.1)


def test_four_centavos_no_longer_buy_a_cent_of_dollar(owner):
    """Bs 0,04 bought $us 0,01 (an effective 4.00 Bs/$): now refused, nothing moves."""
    user, bob, usd = owner
    fx = _fx()
    with pytest.raises(TransferError, match="demasiado pequeño|too small") as caught:
        transfer_prepare(user=user, order=_own(bob, usd, "BOB", "0.04"))
    assert "$us 0,01" in caught.value.message
    assert _fx() == fx
    # The smallest purchase that reaches a cent costs Bs 0,07 (0.07 / 6.96 = 0.01006).
    transfer = _execute(user, _own(bob, usd, "BOB", "0.07"))
    assert (transfer.debit_amount, transfer.credit_amount) == (Decimal("0.07"), Decimal("0.01"))
    assert ledger_breaches() == []


def test_a_cent_of_dollar_no_longer_pays_ten_centavos(owner):
    """$us 0,01 paid out Bs 0,10 (10.00 Bs/$): Bs 0,10 now costs $us 0,02."""
    user, bob, usd = owner
    transfer = _execute(user, _own(usd, bob, "BOB", "0.10"))
    assert transfer.debit_amount == Decimal("0.02")  # 0.10 / 6.86 = 0.0146 rounded up
    assert transfer.credit_amount == Decimal("0.10")
    assert ledger_breaches() == []


@pytest.mark.parametrize(
    ("source", "currency", "amount", "debit", "credit"),
    [
        # typed in the source currency: the credit rounds down
        ("BOB", "BOB", "100.00", "100.00", "14.36"),  # 14.3678
        ("USD", "USD", "0.01", "0.01", "0.06"),  # 0.0686
        ("USD", "USD", "10.00", "10.00", "68.60"),
        # typed in the destination currency: the debit rounds up
        ("BOB", "USD", "0.01", "0.07", "0.01"),  # 0.0696
        ("BOB", "USD", "100.00", "696.00", "100.00"),
        ("USD", "BOB", "1.00", "0.15", "1.00"),  # 0.1457
        ("USD", "BOB", "68.60", "10.00", "68.60"),
    ],
)
def test_each_leg_rounds_against_the_member(owner, source, currency, amount, debit, credit):
    user, bob, usd = owner
    ends = (bob, usd) if source == "BOB" else (usd, bob)
    order = _own(*ends, currency, amount)
    quote = transfer_prepare(user=user, order=order)
    assert (quote.debit_amount, quote.credit_amount) == (Decimal(debit), Decimal(credit))


def test_the_cycle_script_gains_nothing(owner):
    """The attacker's loop: Bs 0,04 → $us 0,01, then $us 0,01 → Bs 0,10, again and again.
    It gained Bs 0,06 a cycle, paid by the FX position; now it can only lose."""
    user, bob, usd = owner

    def worth():
        bob.refresh_from_db()
        usd.refresh_from_db()
        return bob.balance + usd.balance * SELL

    start, fx_start = worth(), _fx()
    for _cycle in range(20):
        for order in (_own(bob, usd, "BOB", "0.04"), _own(usd, bob, "BOB", "0.10")):
            with contextlib.suppress(TransferError):
                _execute(user, order)
    assert worth() <= start
    fx = _fx()
    assert fx["BOB"] + fx["USD"] * BUY >= fx_start["BOB"] + fx_start["USD"] * BUY
    assert ledger_breaches() == []


def test_step_four_shows_the_rate_the_rounded_legs_apply(owner):
    user, bob, usd = owner
    quote = transfer_prepare(user=user, order=_own(bob, usd, "BOB", "0.07"))
    assert quote.exchange_rate == SELL
    assert quote.effective_rate == Decimal("7.0000")
    quote = transfer_prepare(user=user, order=_own(bob, usd, "USD", "100.00"))
    assert quote.effective_rate == SELL
    quote = transfer_prepare(user=user, order=_own(usd, bob, "BOB", "0.10"))
    assert quote.effective_rate == Decimal("5.0000")  # Bs 0,10 for $us 0,02


def test_daily_limit_counts_the_bolivianos_debited_for_a_dollar_purchase(owner):
    """$us 143,67 bought with bolivianos debits Bs 999,95; the limit counted Bs 985,58 (the
    dollars at the buy rate, 1.46 % less), so a Bs 1.000 limit let Bs 1.006,91 leave."""
    user, bob, usd = owner
    bob_rich = make_account(member=user.member, currency="BOB", balance="5000.00")
    DailyLimit.objects.filter(transfer_type=TransferType.OWN).update(amount_bob=Decimal("1000"))
    first = _execute(user, _own(bob_rich, usd, "USD", "143.67"))
    assert first.bob_equivalent == first.debit_amount
    assert first.debit_amount == Decimal("999.95")  # 143.67 × 6.96 = 999.9432, rounded up
    assert first.bob_equivalent / (Decimal("143.67") * BUY) > Decimal("1.0145")
    with pytest.raises(TransferError, match="límite diario|daily limit"):
        transfer_prepare(user=user, order=_own(bob_rich, usd, "USD", "1.00"))


def test_daily_limit_counts_dollars_debited_at_the_sell_rate(owner):
    user, bob, usd = owner
    DailyLimit.objects.filter(transfer_type=TransferType.OWN).update(amount_bob=Decimal("1000"))
    quote = transfer_prepare(user=user, order=_own(usd, bob, "USD", "10.00"))
    assert quote.bob_equivalent == Decimal("69.60")  # what $us 10 would cost to buy back
    quote = transfer_prepare(user=user, order=_own(usd, bob, "BOB", "100.00"))
    assert quote.debit_amount == Decimal("14.58")  # 100 / 6.86 = 14.577 rounded up
    assert quote.bob_equivalent == Decimal("101.48")  # 14.58 × 6.96 = 101.4768 rounded up


def test_step_four_page_shows_the_effective_rate_and_refuses_a_sub_cent_purchase(client):
    from accounts.services.pin import pin_set
    from tests.transfers.test_wizard import _walk_to_confirm

    member = make_member()
    user = make_user(member=member)
    pin_set(user=user, pin="4826", notify=False)
    client.force_login(user)
    bob = make_account(member=member, currency="BOB", balance="10.00")
    usd = make_account(member=member, currency="USD")
    page = _walk_to_confirm(client, bob, usd, amount="0,07", currency="BOB").content.decode()
    assert "Paso 4 de 4" in page
    assert "Tipo de cambio efectivo (con el redondeo al centavo)" in page
    assert "7,0000" in page
    page = _walk_to_confirm(client, bob, usd, amount="0,04", currency="BOB").content.decode()
    # Amounts sit in money spans with no-break spaces: read the text a person reads.
    text = re.sub(r"<[^>]+>", "", page).replace("\xa0", " ")
    assert "la cuenta destino recibiría menos de $us 0,01" in text
    assert "Paso 4 de 4" not in page
