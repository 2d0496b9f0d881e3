"""Property: the one ``transfers.quotes.convert`` gives, to the cent, what the two functions it
replaced gave (issue 15, "each rule in one place").

``convert`` (the credit a paid amount buys, rounded DOWN) and ``convert_cost`` (the debit that
delivers a received amount, rounded UP) each held the same table of the two directions. They
became one table (``quotes._RATE_TYPES``) and one function whose rounding follows from which
leg was given. The reference below is a verbatim copy of the two old functions (the rate read
replaced by the drawn rates); every amount from Bs/$us 0,01 to 10^9, both directions, both
roundings and any four-decimal rates (sell above buy) must give the same leg, the same rate
and the same refusals, through ``convert`` and through ``_legs`` (which chose between the
two).
"""

import os
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.models import ExchangeRate
from ledger.money import quantize_down, quantize_up
from transfers import quotes
from transfers.exceptions import TransferError

ON = date(2026, 3, 10)
SEEDED = (Decimal("6.96"), Decimal("6.86"))  # the seeded official (sell, buy) rates
CURRENCIES = ["BOB", "USD"]

# Cents 1 .. 10^11 (Bs/$us 0,01 .. 10^9), often small, where rounding decides.
AMOUNTS = st.one_of(
    st.integers(min_value=1, max_value=2_000),
    st.integers(min_value=1, max_value=10**11),
).map(lambda cents: Decimal(cents).scaleb(-2))
# (sell, buy) as staff type them (four decimals), the sell rate above the buy rate as the
# cooperative's are; never equal, so a swapped rate shows.
RATE_PAIRS = st.tuples(
    st.integers(min_value=1, max_value=99_999_999),
    st.integers(min_value=1, max_value=10_000_000),
).map(lambda pair: (Decimal(pair[0] + pair[1]).scaleb(-4), Decimal(pair[0]).scaleb(-4)))


# --- The reference: the two old functions, verbatim but for ``_rate`` -----------------------


def _old_convert(*, amount, from_currency, to_currency, on, _rate):
    if from_currency == to_currency:
        return amount, None
    if from_currency == "USD" and to_currency == "BOB":
        rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
        return quantize_down(amount * rate), rate
    if from_currency == "BOB" and to_currency == "USD":
        rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
        return quantize_down(amount / rate), rate
    raise TransferError("That currency is not supported.", field="currency")


def _old_convert_cost(*, amount, from_currency, to_currency, on, _rate):
    if from_currency == to_currency:
        return amount, None
    if from_currency == "BOB" and to_currency == "USD":
        rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
        return quantize_up(amount * rate), rate
    if from_currency == "USD" and to_currency == "BOB":
        rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
        return quantize_up(amount / rate), rate
    raise TransferError("That currency is not supported.", field="currency")


def _old_legs(*, amount, currency, source_currency, destination_currency, on, _rate):
    """The old ``_legs`` body up to the minimum-credit check (unchanged, checked separately)."""
    if currency == source_currency:
        credit, rate = _old_convert(
            amount=amount,
            from_currency=currency,
            to_currency=destination_currency,
            on=on,
            _rate=_rate,
        )
        debit = amount
    else:
        credit = amount
        debit, rate = _old_convert_cost(
            amount=amount, from_currency=source_currency, to_currency=currency, on=on, _rate=_rate
        )
    return debit, credit, rate


# ---------------------------------------------------------------------------------------------


def _rates(sell: Decimal, buy: Decimal):
    table = {
        ExchangeRate.RateType.OFFICIAL_SELL: sell,
        ExchangeRate.RateType.OFFICIAL_BUY: buy,
    }

    def rate(*, rate_type, on):
        assert on == ON
        return table[rate_type]

    return rate


def _outcome(call):
    """What a call gave: its result, or the refusal it raised."""
    try:
        return call()
    except TransferError as exc:
        return ("refused", exc.field)


# ``make test`` runs 1,000 examples per property; CONVERT_PROPERTY_EXAMPLES sets more.
EXAMPLES = int(os.environ.get("CONVERT_PROPERTY_EXAMPLES", "1000"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None)


@PROPERTY
@given(
    amount=AMOUNTS,
    paid=st.sampled_from(CURRENCIES),
    received=st.sampled_from(CURRENCIES),
    amount_is=st.sampled_from(["paid", "received"]),
    rates=RATE_PAIRS,
)
@example(
    amount=Decimal("0.07"), paid="BOB", received="USD", amount_is="paid", rates=SEEDED
)  # Bs 0,07 buys $us 0,01
@example(
    amount=Decimal("0.01"), paid="BOB", received="USD", amount_is="received", rates=SEEDED
)  # $us 0,01 costs Bs 0,07
@example(
    amount=Decimal("0.10"), paid="USD", received="BOB", amount_is="received", rates=SEEDED
)  # Bs 0,10 costs $us 0,02
@example(
    amount=Decimal("1000000000.00"), paid="USD", received="BOB", amount_is="paid", rates=SEEDED
)
@example(
    amount=Decimal("1000000000.00"), paid="BOB", received="USD", amount_is="received", rates=SEEDED
)
def test_convert_gives_what_the_two_old_functions_gave(amount, paid, received, amount_is, rates):
    fake = _rates(*rates)
    old = _old_convert if amount_is == "paid" else _old_convert_cost
    expected = _outcome(
        lambda: old(amount=amount, from_currency=paid, to_currency=received, on=ON, _rate=fake)
    )
    with mock.patch.object(quotes, "_rate", fake):
        got = _outcome(
            lambda: quotes.convert(
                amount=amount, amount_is=amount_is, paid=paid, received=received, on=ON
            )
        )
    assert got == expected
    # Equal Decimals may still differ in exponent; what is stored and signed is the text.
    assert [str(x) for x in got] == [str(x) for x in expected]


@pytest.mark.parametrize("pair", [("EUR", "BOB"), ("BOB", "EUR"), ("USD", "EUR")])
@pytest.mark.parametrize("amount_is", ["paid", "received"])
def test_an_unknown_currency_is_refused_as_before(pair, amount_is):
    paid, received = pair
    with pytest.raises(TransferError) as caught:
        quotes.convert(
            amount=Decimal("1.00"), amount_is=amount_is, paid=paid, received=received, on=ON
        )
    assert caught.value.field == "currency"


@PROPERTY
@given(
    amount=AMOUNTS,
    source=st.sampled_from(CURRENCIES),
    destination=st.sampled_from(CURRENCIES),
    typed_in_source=st.booleans(),
    rates=RATE_PAIRS,
)
@example(
    amount=Decimal("0.04"), source="BOB", destination="USD", typed_in_source=True, rates=SEEDED
)  # refused: below a cent
@example(
    amount=Decimal("0.07"), source="BOB", destination="USD", typed_in_source=True, rates=SEEDED
)
@example(
    amount=Decimal("0.01"), source="USD", destination="BOB", typed_in_source=False, rates=SEEDED
)
def test_legs_give_what_the_old_legs_gave(amount, source, destination, typed_in_source, rates):
    fake = _rates(*rates)
    currency = source if typed_in_source else destination
    old = _old_legs(
        amount=amount,
        currency=currency,
        source_currency=source,
        destination_currency=destination,
        on=ON,
        _rate=fake,
    )
    expected = ("refused", "amount") if old[1] < quotes.MIN_CONVERTED_CREDIT else old
    with mock.patch.object(quotes, "_rate", fake):
        got = _outcome(
            lambda: quotes._legs(
                amount=amount,
                currency=currency,
                source_currency=source,
                destination_currency=destination,
                on=ON,
            )
        )
    assert got == expected
    assert [str(x) for x in got] == [str(x) for x in expected]
