"""Exchange rates as an attacker at the staff screens would try them (issue 12, High 5).

A clerk once published a buy rate of 7.50 over a sell rate of 6.96 (Bs 696 became Bs 750) and
could edit rates already in force. Rates are append-only, buy ≤ sell is held by the database,
and a move beyond the threshold needs a second staff member (ledger.rates).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from demo.data import STAFF_GROUP
from ledger import rates
from ledger.exceptions import ExchangeRateRefused
from ledger.models import ExchangeRate
from ledger.selectors import exchange_rate_get
from tests.conftest import admin_force_login
from tests.factories import make_user
from transfers.models import FeeBand

pytestmark = pytest.mark.django_db

ADD = "/admin/ledger/exchangerate/add/"
CHANGELIST = "/admin/ledger/exchangerate/"
BUY = ExchangeRate.RateType.OFFICIAL_BUY
SELL = ExchangeRate.RateType.OFFICIAL_SELL


def _today():
    return timezone.localdate()


def _rates():
    return (
        exchange_rate_get(rate_type=BUY, on=_today()),
        exchange_rate_get(rate_type=SELL, on=_today()),
    )


def _snapshot():
    return list(ExchangeRate.objects.order_by("pk").values())


def _post(client, *, rate_type, rate, valid_from=None, currency="USD"):
    return client.post(
        ADD,
        {
            "currency": currency,
            "rate_type": rate_type,
            "valid_from": (valid_from or _today()).strftime("%d/%m/%Y"),
            "rate": rate,
        },
    )


@pytest.fixture
def second_staff(db, staff_user):
    """Another clerk of the same group (same permissions, different person)."""
    user = make_user(username="clerk2", password="Auxiliar2026", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))
    return user


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- The admin refuses nonsense with a Spanish message, and nothing changes -------------------


@pytest.mark.parametrize(
    ("rate_type", "rate", "days", "message"),
    [
        # The finding: a buy rate above the sell rate in force.
        (BUY, "7.50", 0, "no puede ser mayor que el de venta"),
        # The same, from the other side: a sell rate below the buy rate in force.
        (SELL, "6.80", 0, "no puede ser mayor que el de venta"),
        (SELL, "0", 0, "mayor a cero"),
        (SELL, "-6.96", 0, "mayor a cero"),
        (SELL, "6.96", -1, "fecha pasada"),
        (BUY, "6.86", -400, "fecha pasada"),
    ],
)
def test_clerk_nonsense_rate_is_refused_in_spanish(staff_client, rate_type, rate, days, message):
    before = _snapshot()
    response = _post(
        staff_client, rate_type=rate_type, rate=rate, valid_from=_today() + timedelta(days=days)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _snapshot() == before
    assert _rates() == (Decimal("6.8600"), Decimal("6.9600"))


def test_buy_above_a_future_sell_is_refused(staff_client, second_staff):
    """A buy rate fine today must not end up above a sell rate already published for later."""
    ExchangeRate.objects.create(
        rate_type=SELL, valid_from=_today() + timedelta(days=5), rate="6.9000"
    )
    before = _snapshot()
    response = _post(staff_client, rate_type=BUY, rate="6.9500")
    assert "no puede ser mayor que el de venta" in response.content.decode()
    assert _snapshot() == before


def test_rates_cannot_be_edited_or_deleted_in_the_admin(staff_client):
    rate = ExchangeRate.objects.get(rate_type=SELL)
    before = _snapshot()
    change = f"{CHANGELIST}{rate.pk}/change/"
    assert staff_client.get(change).status_code == 200  # read-only view
    response = staff_client.post(
        change,
        {"currency": "USD", "rate_type": SELL, "valid_from": "02/11/2011", "rate": "9.00"},
    )
    assert response.status_code == 403
    assert staff_client.post(f"{CHANGELIST}{rate.pk}/delete/", {"post": "yes"}).status_code == 403
    response = staff_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [rate.pk], "post": "yes"}
    )
    assert _snapshot() == before


# --- The database refuses the same nonsense from any client ---------------------------------


def test_database_refuses_update_and_delete_of_a_rate():
    rate = ExchangeRate.objects.get(rate_type=SELL)
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE ledger_exchangerate SET rate = 9 WHERE id = %s", [rate.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("DELETE FROM ledger_exchangerate WHERE id = %s", [rate.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ExchangeRate.objects.filter(pk=rate.pk).update(valid_from=_today())
    assert _rates() == (Decimal("6.8600"), Decimal("6.9600"))


def test_database_refuses_a_buy_rate_above_the_sell_rate():
    insert = (
        "INSERT INTO ledger_exchangerate (currency, rate_type, valid_from, rate, status, "
        "proposed_at, published_at) VALUES ('USD', %s, %s, %s, 'approved', now(), now())"
    )
    with pytest.raises(IntegrityError, match="buy rate above"):
        _raw(insert, [BUY, _today(), Decimal("7.50")])
    with pytest.raises(IntegrityError, match="buy rate above"):
        _raw(insert, [SELL, _today(), Decimal("6.80")])
    # Deferred, buy and sell may move together in one transaction, in either order.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ledger_exchangerate_buy_not_above_sell DEFERRED")
        cursor.execute(insert, [BUY, _today(), Decimal("7.00")])
        cursor.execute(insert, [SELL, _today(), Decimal("7.10")])
        cursor.execute("SET CONSTRAINTS ledger_exchangerate_buy_not_above_sell IMMEDIATE")
    assert _rates() == (Decimal("7.0000"), Decimal("7.1000"))


def test_database_refuses_self_approval_and_editing_a_proposal(staff_user):
    with pytest.raises(IntegrityError, match="exchange_rate_four_eyes"):
        _raw(
            "INSERT INTO ledger_exchangerate (currency, rate_type, valid_from, rate, status, "
            "proposed_by_id, proposed_at, reviewed_by_id, reviewed_at, published_at) VALUES "
            "('USD', 'official_sell', %s, 7.5, 'approved', %s, now(), %s, now(), now())",
            [_today(), staff_user.pk, staff_user.pk],
        )
    pending = ExchangeRate.objects.create(
        rate_type=SELL,
        valid_from=_today(),
        rate="7.5000",
        status=ExchangeRate.Status.PENDING,
        proposed_by=staff_user,
        published_at=None,
    )
    with pytest.raises(IntegrityError, match="exchange_rate_four_eyes"):
        _raw(
            "UPDATE ledger_exchangerate SET status = 'approved', reviewed_by_id = proposed_by_id,"
            " reviewed_at = now(), published_at = now() WHERE id = %s",
            [pending.pk],
        )
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE ledger_exchangerate SET rate = 7.01 WHERE id = %s", [pending.pk])
    with pytest.raises(IntegrityError, match="exchange_rate_status_shape"):
        _raw(
            "UPDATE ledger_exchangerate SET status = 'approved' WHERE id = %s", [pending.pk]
        )  # in force without a publication time (and without anyone approving)
    assert exchange_rate_get(rate_type=SELL, on=_today()) == Decimal("6.9600")


# --- Four eyes ------------------------------------------------------------------------------


def test_small_correction_is_in_force_at_once_and_audited(staff_client, staff_user):
    response = _post(staff_client, rate_type=SELL, rate="7.0000")
    assert response.status_code == 302
    assert _rates() == (Decimal("6.8600"), Decimal("7.0000"))
    event = AuditEvent.objects.get(event="ledger.exchange_rate_published")
    assert event.actor == staff_user
    assert event.old == {"rate": "6.9600"}
    assert event.new["rate"] == "7.0000"


def test_big_move_needs_a_second_staff_member(client, staff_client, staff_user, second_staff):
    response = _post(staff_client, rate_type=SELL, rate="7.2000")  # +3.4 %
    assert response.status_code == 302
    page = staff_client.get(response["Location"]).content.decode()
    assert "no estará vigente hasta que otro funcionario lo apruebe" in page
    proposal = ExchangeRate.objects.get(rate="7.2000")
    assert proposal.status == ExchangeRate.Status.PENDING
    assert _rates() == (Decimal("6.8600"), Decimal("6.9600"))  # not in force

    # The proposer cannot approve their own proposal.
    response = staff_client.post(
        CHANGELIST,
        {"action": "approve_rates", "_selected_action": [proposal.pk]},
        follow=True,
    )
    assert "otro funcionario debe aprobarlo" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ExchangeRate.Status.PENDING
    assert _rates() == (Decimal("6.8600"), Decimal("6.9600"))

    # A second clerk can; the rate is then in force, and both steps are audited.
    other = admin_force_login(client.__class__(), second_staff)
    response = other.post(
        CHANGELIST, {"action": "approve_rates", "_selected_action": [proposal.pk]}, follow=True
    )
    assert "aprobados: 1" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ExchangeRate.Status.APPROVED
    assert proposal.reviewed_by == second_staff
    assert _rates() == (Decimal("6.8600"), Decimal("7.2000"))
    events = list(
        AuditEvent.objects.filter(subject=f"ledger.exchangerate:{proposal.pk}").order_by("pk")
    )
    assert [(e.event, e.actor) for e in events] == [
        ("ledger.exchange_rate_proposed", staff_user),
        ("ledger.exchange_rate_approved", second_staff),
    ]
    # Decided once: approving again changes nothing.
    response = other.post(
        CHANGELIST, {"action": "approve_rates", "_selected_action": [proposal.pk]}, follow=True
    )
    assert "ya fue aprobado o rechazado" in response.content.decode()


def test_rejected_proposal_never_applies(client, staff_client, second_staff):
    _post(staff_client, rate_type=BUY, rate="6.5000")  # -5.2 %
    proposal = ExchangeRate.objects.get(rate="6.5000")
    other = admin_force_login(client.__class__(), second_staff)
    other.post(CHANGELIST, {"action": "reject_rates", "_selected_action": [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == ExchangeRate.Status.REJECTED
    assert _rates() == (Decimal("6.8600"), Decimal("6.9600"))
    assert AuditEvent.objects.filter(event="ledger.exchange_rate_rejected").count() == 1


def test_staff_without_the_permission_cannot_approve(client, staff_client):
    _post(staff_client, rate_type=SELL, rate="7.5000")
    proposal = ExchangeRate.objects.get(rate="7.5000")
    viewer = make_user(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        *Group.objects.get(name=STAFF_GROUP).permissions.exclude(codename="approve_exchangerate")
    )
    other = admin_force_login(client.__class__(), viewer)
    other.post(CHANGELIST, {"action": "approve_rates", "_selected_action": [proposal.pk]})
    proposal.refresh_from_db()
    assert proposal.status == ExchangeRate.Status.PENDING


def test_small_steps_cannot_ratchet_past_the_threshold(staff_client):
    """Five 1.3 % steps would move the rate 6.6 % with nobody else looking."""
    assert _post(staff_client, rate_type=SELL, rate="7.0500").status_code == 302
    assert exchange_rate_get(rate_type=SELL, on=_today()) == Decimal("7.0500")
    # 1.3 % from the rate now in force, but 2.6 % from the rate the day started with.
    assert _post(staff_client, rate_type=SELL, rate="7.1400").status_code == 302
    assert ExchangeRate.objects.get(rate="7.1400").status == ExchangeRate.Status.PENDING
    assert exchange_rate_get(rate_type=SELL, on=_today()) == Decimal("7.0500")


def test_threshold_is_a_setting(staff_client, settings):
    settings.EXCHANGE_RATE_APPROVAL_THRESHOLD = Decimal("0.05")
    _post(staff_client, rate_type=SELL, rate="7.2000")
    assert ExchangeRate.objects.get(rate="7.2000").status == ExchangeRate.Status.APPROVED


def test_unapproved_rows_are_ignored_even_when_newer(staff_user):
    ExchangeRate.objects.create(
        rate_type=SELL,
        valid_from=_today(),
        rate="9.9900",
        status=ExchangeRate.Status.PENDING,
        proposed_by=staff_user,
        published_at=None,
    )
    assert exchange_rate_get(rate_type=SELL, on=_today()) == Decimal("6.9600")


def test_admin_pages_render(staff_client):
    assert staff_client.get(ADD).status_code == 200
    assert staff_client.get(CHANGELIST).status_code == 200
    assert staff_client.get("/admin/transfers/feeband/add/").status_code == 200
    band = FeeBand.objects.first()
    assert staff_client.get(f"/admin/transfers/feeband/{band.pk}/change/").status_code == 200


# --- The property: whatever sequence staff try, the rules hold ------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("propose"),
            st.sampled_from([BUY, SELL]),
            st.integers(min_value=6500, max_value=7400),  # ten-thousandths: 6.5000 to 7.4000
            st.integers(min_value=0, max_value=3),  # days ahead
            st.sampled_from(["ana", "beto"]),
        ),
        st.tuples(
            st.sampled_from(["approve", "reject"]),
            st.integers(min_value=0, max_value=7),  # which proposal
            st.sampled_from(["ana", "beto"]),
        ),
    ),
    max_size=8,
)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_any_sequence_keeps_buy_under_sell_and_four_eyes(staff_user, second_staff, steps):
    """Through the services, in any order: buy ≤ sell on every date, and every row in force
    that moved the rate beyond the threshold was approved by someone other than its proposer."""
    staff = {"ana": staff_user, "beto": second_staff}
    threshold = Decimal("0.02")
    with pytest.raises(_Rollback), transaction.atomic():
        proposals = []
        for step in steps:
            try:
                if step[0] == "propose":
                    _, rate_type, tenths, days, who = step
                    valid_from = _today() + timedelta(days=days)
                    references = [
                        exchange_rate_get(rate_type=rate_type, on=on)
                        for on in (valid_from, _today() - timedelta(days=1))
                    ]
                    rate = Decimal(tenths) / 10000
                    row = rates.exchange_rate_propose(
                        actor=staff[who],
                        currency="USD",
                        rate_type=rate_type,
                        valid_from=valid_from,
                        rate=rate,
                    )
                    big = any(abs(rate - ref) > ref * threshold for ref in references)
                    proposals.append((row, big))
                    assert (row.status == ExchangeRate.Status.PENDING) == big
                elif proposals:
                    action, index, who = step
                    row, _ = proposals[index % len(proposals)]
                    review = (
                        rates.exchange_rate_approve
                        if action == "approve"
                        else rates.exchange_rate_reject
                    )
                    review(actor=staff[who], rate=row)
            except ExchangeRateRefused:
                pass
            for days in range(5):
                on = _today() + timedelta(days=days)
                buy = exchange_rate_get(rate_type=BUY, on=on)
                sell = exchange_rate_get(rate_type=SELL, on=on)
                assert buy <= sell, (on, buy, sell, steps)
        for row, big in proposals:
            row.refresh_from_db()
            if row.status == ExchangeRate.Status.APPROVED and big:
                assert row.reviewed_by_id not in (None, row.proposed_by_id)
        raise _Rollback


class _Rollback(Exception):
    """Leave the example's savepoint after checking it."""
