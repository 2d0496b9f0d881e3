"""Fee schedule and limits as an attacker at the staff screens would try them (issue 12, High 5).

Every (transfer type, currency) schedule covers each positive amount exactly once; an amount
in no band is refused, never charged zero; limits and fees are never negative. The admin says
so in Spanish, the database refuses the same from any client.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from tests.factories import make_member
from transfers.exceptions import TransferError
from transfers.models import DailyLimit, FeeBand, MemberDailyLimit
from transfers.quotes import fee_for

pytestmark = pytest.mark.django_db

ADD = "/admin/transfers/feeband/add/"
CENT = Decimal("0.01")


def _schedule(transfer_type="other_bank", currency="BOB"):
    return list(
        FeeBand.objects.filter(transfer_type=transfer_type, currency=currency)
        .order_by("min_amount")
        .values_list("min_amount", "max_amount", "fixed_fee")
    )


def _all_bands():
    return list(FeeBand.objects.order_by("pk").values())


def _raw(sql, params=()):
    """Run ``sql`` and check the deferred constraints at once, as a commit would."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


SEEDED_OTHER_BANK_BOB = [
    (Decimal("0.01"), Decimal("10000.00"), Decimal("5.00")),
    (Decimal("10000.01"), Decimal("50000.00"), Decimal("10.00")),
    (Decimal("50000.01"), None, Decimal("20.00")),
]


# --- Pricing: no band, no transfer ----------------------------------------------------------


def test_seeded_schedules_price_every_amount():
    assert _schedule() == SEEDED_OTHER_BANK_BOB
    for transfer_type in ("own", "third_party"):
        for currency in ("BOB", "USD"):
            assert fee_for(transfer_type=transfer_type, currency=currency, amount=CENT) == 0
            assert fee_for(
                transfer_type=transfer_type, currency=currency, amount=Decimal("9999999999.99")
            ) == Decimal("0.00")
    assert fee_for(transfer_type="other_bank", currency="BOB", amount=Decimal("10000.00")) == 5
    assert fee_for(transfer_type="other_bank", currency="BOB", amount=Decimal("10000.01")) == 10


def test_an_amount_in_no_band_is_refused_not_free():
    """Before: a hole in the schedule priced the transfer at zero."""
    with pytest.raises(_Rollback), transaction.atomic():
        # A hole, never committed (the database refuses it at commit).
        FeeBand.objects.filter(
            transfer_type="other_bank", currency="BOB", min_amount=Decimal("10000.01")
        ).delete()
        with pytest.raises(TransferError) as refused:
            fee_for(transfer_type="other_bank", currency="BOB", amount=Decimal("20000.00"))
        assert refused.value.field == "amount"
        assert "no tiene comisión para este monto" in refused.value.message
        raise _Rollback
    with pytest.raises(TransferError):
        fee_for(transfer_type="no_such_type", currency="BOB", amount=Decimal("1.00"))


# --- The admin: splits, merges, Spanish errors ----------------------------------------------


def test_clerk_adds_a_band_by_splitting_one(staff_client, staff_user):
    response = staff_client.post(
        ADD,
        {
            "transfer_type": "other_bank",
            "currency": "BOB",
            "min_amount": "20000",
            "fixed_fee": "7",
        },
    )
    assert response.status_code == 302
    assert _schedule() == [
        (Decimal("0.01"), Decimal("10000.00"), Decimal("5.00")),
        (Decimal("10000.01"), Decimal("19999.99"), Decimal("10.00")),
        (Decimal("20000.00"), Decimal("50000.00"), Decimal("7.00")),
        (Decimal("50000.01"), None, Decimal("20.00")),
    ]
    event = AuditEvent.objects.get(event="transfers.fee_band_added")
    assert event.actor == staff_user
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the database agrees it is whole


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # The amounts go through the portal's one money parser (ledger.forms.AmountField).
        ({"min_amount": "20000", "fixed_fee": "-1"}, "El monto no puede ser negativo"),
        ({"min_amount": "0", "fixed_fee": "1"}, "debe ser mayor a cero"),
        ({"min_amount": "-100", "fixed_fee": "1"}, "debe ser mayor a cero"),
        ({"min_amount": "10000,01", "fixed_fee": "1"}, "Ya hay un tramo que empieza en"),
        ({"min_amount": "0,01", "fixed_fee": "0"}, "Ya hay un tramo que empieza en"),
        ({"min_amount": "5,001", "fixed_fee": "1"}, "como máximo dos decimales"),
        ({"min_amount": "5", "fixed_fee": "0,001"}, "como máximo dos decimales"),
        ({"min_amount": "5", "fixed_fee": "abc"}, "Ingrese un monto válido"),
    ],
)
def test_clerk_nonsense_band_is_refused_in_spanish(staff_client, data, message):
    before = _all_bands()
    response = staff_client.post(
        ADD, {"transfer_type": "other_bank", "currency": "BOB", "max_amount": "1", **data}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _all_bands() == before


def test_first_band_of_an_empty_schedule_starts_at_one_cent(staff_client):
    with pytest.raises(_Rollback), transaction.atomic():
        FeeBand.objects.filter(transfer_type="own", currency="USD").delete()
        response = staff_client.post(
            ADD, {"transfer_type": "own", "currency": "USD", "min_amount": "5", "fixed_fee": "0"}
        )
        assert "empieza en 0,01" in response.content.decode()
        assert _schedule("own", "USD") == []
        raise _Rollback


def test_clerk_changes_only_the_fee(staff_client):
    band = FeeBand.objects.get(transfer_type="other_bank", currency="BOB", min_amount=CENT)
    url = f"/admin/transfers/feeband/{band.pk}/change/"
    before = _all_bands()
    response = staff_client.post(url, {"fixed_fee": "-5"})
    assert response.status_code == 200
    assert "El monto no puede ser negativo" in response.content.decode()
    assert _all_bands() == before
    # The band's amounts are not editable; posting them changes nothing.
    response = staff_client.post(url, {"fixed_fee": "6", "min_amount": "5", "max_amount": "1"})
    assert response.status_code == 302
    assert _schedule()[0] == (Decimal("0.01"), Decimal("10000.00"), Decimal("6.00"))
    changed = AuditEvent.objects.get(event="transfers.fee_band_fee_changed")
    assert (changed.subject, changed.old, changed.new) == (
        f"transfers.feeband:{band.pk}",
        {"fixed_fee": str(band.fixed_fee)},
        {"fixed_fee": "6.00"},
    )


def test_removing_a_band_merges_it_and_the_last_band_stays(staff_client):
    middle = FeeBand.objects.get(transfer_type="other_bank", currency="BOB", min_amount="10000.01")
    response = staff_client.post(f"/admin/transfers/feeband/{middle.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _schedule() == [
        (Decimal("0.01"), Decimal("50000.00"), Decimal("5.00")),
        (Decimal("50000.01"), None, Decimal("20.00")),
    ]
    first = FeeBand.objects.get(transfer_type="other_bank", currency="BOB", min_amount=CENT)
    staff_client.post(f"/admin/transfers/feeband/{first.pk}/delete/", {"post": "yes"})
    assert _schedule() == [(Decimal("0.01"), None, Decimal("20.00"))]
    only = FeeBand.objects.get(transfer_type="other_bank", currency="BOB")
    response = staff_client.post(
        f"/admin/transfers/feeband/{only.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "Es el único tramo de su tarifario" in response.content.decode()
    assert _schedule() == [(Decimal("0.01"), None, Decimal("20.00"))]
    assert AuditEvent.objects.filter(event="transfers.fee_band_removed").count() == 2
    # Bulk delete would bypass the merge: not offered.
    changelist = staff_client.get("/admin/transfers/feeband/").content.decode()
    assert "delete_selected" not in changelist


def test_clerk_cannot_set_a_negative_daily_limit(staff_client):
    limit = DailyLimit.objects.get(transfer_type="other_bank")
    response = staff_client.post(
        f"/admin/transfers/dailylimit/{limit.pk}/change/", {"amount_bob": "-1"}
    )
    assert response.status_code == 200
    assert "Un límite diario no puede ser negativo" in response.content.decode()
    limit.refresh_from_db()
    assert limit.amount_bob == Decimal("35000.00")


# --- The database refuses nonsense from any client ------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        # Overlap: a second band over amounts already priced.
        "INSERT INTO transfers_feeband (transfer_type, currency, min_amount, max_amount, "
        "fixed_fee) VALUES ('other_bank', 'BOB', 5000, 6000, 0)",
        # Gap: the first band shortened, nothing takes its amounts.
        "UPDATE transfers_feeband SET max_amount = 9000 WHERE transfer_type = 'other_bank' "
        "AND currency = 'BOB' AND min_amount = 0.01",
        # Gap at the start.
        "UPDATE transfers_feeband SET min_amount = 1 WHERE transfer_type = 'own' "
        "AND currency = 'BOB'",
        # No end: amounts above the last band.
        "UPDATE transfers_feeband SET max_amount = 1000000 WHERE transfer_type = 'own' "
        "AND currency = 'BOB'",
        # An emptied schedule.
        "DELETE FROM transfers_feeband WHERE transfer_type = 'other_bank' AND currency = 'BOB'",
        "DELETE FROM transfers_feeband WHERE transfer_type = 'other_bank' AND currency = 'BOB' "
        "AND min_amount = 10000.01",
        # Nonsense figures.
        "UPDATE transfers_feeband SET fixed_fee = -1 WHERE transfer_type = 'own'",
        "UPDATE transfers_feeband SET max_amount = 0 WHERE transfer_type = 'other_bank' "
        "AND currency = 'BOB' AND min_amount = 0.01",
        "INSERT INTO transfers_feeband (transfer_type, currency, min_amount, max_amount, "
        "fixed_fee) VALUES ('new_type', 'BOB', 0, NULL, 0)",
        "INSERT INTO transfers_feeband (transfer_type, currency, min_amount, max_amount, "
        "fixed_fee) VALUES ('new_type', 'BOB', 0.01, 100, 0)",
        "UPDATE transfers_dailylimit SET amount_bob = -1",
    ],
)
def test_database_refuses_nonsense_money_settings(sql):
    before = _all_bands()
    with pytest.raises(IntegrityError):
        _raw(sql)
    assert _all_bands() == before


def test_database_refuses_a_negative_member_limit():
    member = make_member()
    row = MemberDailyLimit.objects.create(
        member=member, transfer_type="own", amount_bob=Decimal("100.00")
    )
    for sql in (
        "UPDATE transfers_memberdailylimit SET amount_bob = -1 WHERE id = %s",
        "UPDATE transfers_memberdailylimit SET pending_amount_bob = -1 WHERE id = %s",
    ):
        with pytest.raises(IntegrityError):
            _raw(sql, [row.pk])


def test_database_accepts_a_whole_change_in_one_transaction():
    """Deferred: a split (shorten one band, add the next) is checked as a whole."""
    _raw(
        "UPDATE transfers_feeband SET max_amount = 99.99 WHERE transfer_type = 'own' "
        "AND currency = 'BOB'; INSERT INTO transfers_feeband (transfer_type, currency, "
        "min_amount, max_amount, fixed_fee) VALUES ('own', 'BOB', 100, NULL, 1)"
    )
    assert fee_for(transfer_type="own", currency="BOB", amount=Decimal("100.00")) == 1


# --- The property: whatever the database accepts prices every amount exactly once -----------

cents = st.integers(min_value=1, max_value=400)


@st.composite
def band_sets(draw):
    """Band sets near the rule (a partition of the amounts, then maybe one mistake), so that
    both accepted and refused sets are drawn often."""
    cuts = sorted(draw(st.sets(st.integers(min_value=2, max_value=400), max_size=5)))
    starts = [1, *cuts]
    bands = [
        [low, (starts[i + 1] - 1) if i + 1 < len(starts) else None] for i, low in enumerate(starts)
    ]
    mistake = draw(st.sampled_from(["none", "shift_min", "shift_max", "drop", "bound", "add"]))
    index = draw(st.integers(min_value=0, max_value=len(bands) - 1))
    delta = draw(st.sampled_from([-1, 1, 3]))
    if mistake == "shift_min":
        bands[index][0] = max(1, bands[index][0] + delta)
    elif mistake == "shift_max" and bands[index][1] is not None:
        bands[index][1] = max(bands[index][0], bands[index][1] + delta)
    elif mistake == "drop" and len(bands) > 1:
        del bands[index]
    elif mistake == "bound":
        bands[-1][1] = bands[-1][0] + draw(cents)
    elif mistake == "add":
        low = draw(cents)
        bands.append([low, draw(st.one_of(st.none(), st.integers(low, 500)))])
    fees = draw(st.lists(st.integers(0, 5000), min_size=len(bands), max_size=len(bands)))
    return [(low, high, fee) for (low, high), fee in zip(bands, fees, strict=True)]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bands=band_sets())
def test_any_schedule_the_database_accepts_prices_each_amount_once(bands):
    def amount(c):
        return None if c is None else Decimal(c) / 100

    accepted = True
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for low, high, fee in bands:
                cursor.execute(
                    "INSERT INTO transfers_feeband (transfer_type, currency, min_amount, "
                    "max_amount, fixed_fee) VALUES ('prop', 'BOB', %s, %s, %s)",
                    [amount(low), amount(high), amount(fee)],
                )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # Accepted: every cent amount is in exactly one band, and that band's fee is what a
            # transfer pays. Which bands hold an amount changes only where a band starts or
            # one ends, so checking 0.01, the largest amount and every such point (and its
            # neighbours) checks every positive amount.
            points = {1, 999999999999}
            for low, high, _ in bands:
                points |= {low - 1, low, low + 1}
                if high is not None:
                    points |= {high - 1, high, high + 1}
            for c in sorted(p for p in points if p >= 1):
                holding = [
                    fee for low, high, fee in bands if low <= c and (high is None or c <= high)
                ]
                assert len(holding) == 1, (c, bands)
                assert fee_for(transfer_type="prop", currency="BOB", amount=amount(c)) == amount(
                    holding[0]
                )
            raise _Rollback
    except IntegrityError:
        accepted = False
    except _Rollback:
        pass
    event(f"accepted={accepted}")
    # And the converse: a set that is a true partition is never refused.
    ordered = sorted(bands, key=lambda b: (b[0], b[1] is None, b[1] or 0))
    whole = (
        ordered[0][0] == 1
        and ordered[-1][1] is None
        and all(
            high is not None and high + 1 == ordered[i + 1][0]
            for i, (_, high, _) in enumerate(ordered[:-1])
        )
    )
    assert accepted == whole, bands


class _Rollback(Exception):
    """Leave the example's savepoint after checking it."""
