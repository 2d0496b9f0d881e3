"""The "Programar" step over HTTP, and the member pages of scheduled transfers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import SignatureGrant
from accounts.services.pin import pin_set
from tests.factories import make_account, make_member, make_user
from transfers.models import ScheduledTransfer, Transfer

from .test_wizard import PIN, _key, _step, _walk_to_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(client):
    member = make_member(email="maria@example.com")
    user = make_user(member=member, email="maria@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    client.force_login(user)
    return user


def _schedule_fields(**overrides):
    first = timezone.localdate() + timedelta(days=3)
    fields = {
        "schedule-kind": "monthly",
        "schedule-start_date": first.isoformat(),
        "schedule-day_of_month": "0",
        "schedule-end_date": "",
        "schedule-times": "6",
    }
    fields.update(overrides)
    return fields


def _open_schedule(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    confirm = _walk_to_confirm(client, source, destination, amount="150,00")
    key = _key(confirm)
    page = _step(client, "confirm", {}, idempotency_key=key, schedule="1")
    return source, key, page


def test_schedule_from_step_4_signs_once_and_moves_nothing_now(client, maria):
    source, key, page = _open_schedule(client, maria)
    body = page.content.decode()
    assert page.status_code == 200
    for label in ("Programar la transferencia", "Frecuencia", "Primera fecha", "PIN"):
        assert label in body
    response = _step(
        client,
        "confirm",
        {},
        idempotency_key=key,
        schedule_submit="1",
        pin=PIN,
        **_schedule_fields(),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = ScheduledTransfer.objects.get()
    assert response["Location"] == f"/transferencias/programadas/{order.pk}/"
    assert order.amount == Decimal("150.00")
    assert order.day_of_month == 0 and order.max_occurrences == 6
    assert not Transfer.objects.exists()
    source.refresh_from_db()
    assert source.balance == Decimal("1000.00")
    grant = SignatureGrant.objects.get(user=maria, purpose="transfer.schedule")
    assert grant.used_at is not None
    detail = client.get(response["Location"]).content.decode()
    assert "Cada mes el último día" in detail


def test_a_wrong_pin_or_a_bad_schedule_stores_nothing(client, maria):
    _source, key, _page = _open_schedule(client, maria)
    wrong = _step(
        client,
        "confirm",
        {},
        idempotency_key=key,
        schedule_submit="1",
        pin="9999",
        **_schedule_fields(),
    )
    assert wrong.status_code == 200
    assert "El PIN no es correcto" in wrong.content.decode()
    today = _step(
        client,
        "confirm",
        {},
        idempotency_key=key,
        schedule_submit="1",
        pin=PIN,
        **_schedule_fields(**{"schedule-start_date": timezone.localdate().isoformat()}),
    )
    assert "La primera fecha debe ser posterior a hoy" in today.content.decode()
    endless = _step(
        client,
        "confirm",
        {},
        idempotency_key=key,
        schedule_submit="1",
        pin=PIN,
        **_schedule_fields(**{"schedule-times": ""}),
    )
    assert "Indique hasta cuándo" in endless.content.decode()
    assert not ScheduledTransfer.objects.exists()


def test_a_tampered_key_cannot_sign_another_summary(client, maria):
    _source, _key_, _page = _open_schedule(client, maria)
    response = _step(
        client,
        "confirm",
        {},
        idempotency_key="otra",
        schedule_submit="1",
        pin=PIN,
        **_schedule_fields(),
    )
    assert response.status_code == 200
    assert not ScheduledTransfer.objects.exists()


def test_pause_and_cancel_from_the_detail_page(client, maria):
    _source, key, _page = _open_schedule(client, maria)
    _step(
        client,
        "confirm",
        {},
        idempotency_key=key,
        schedule_submit="1",
        pin=PIN,
        **_schedule_fields(),
    )
    order = ScheduledTransfer.objects.get()
    listing = client.get("/transferencias/programadas/").content.decode()
    assert f"/transferencias/programadas/{order.pk}/" in listing
    client.post(f"/transferencias/programadas/{order.pk}/pausar/")
    order.refresh_from_db()
    assert order.status == "paused"
    # Resuming asks for the PIN; a wrong one resumes nothing.
    client.post(f"/transferencias/programadas/{order.pk}/reanudar/", {"pin": "9999"})
    order.refresh_from_db()
    assert order.status == "paused"
    client.post(f"/transferencias/programadas/{order.pk}/reanudar/", {"pin": PIN})
    order.refresh_from_db()
    assert order.status == "active"
    client.post(
        f"/transferencias/programadas/{order.pk}/monto/", {"amend-amount": "80,00", "pin": PIN}
    )
    order.refresh_from_db()
    assert order.amount == Decimal("80.00")
    client.post(f"/transferencias/programadas/{order.pk}/cancelar/")
    order.refresh_from_db()
    assert order.status == "cancelled"
