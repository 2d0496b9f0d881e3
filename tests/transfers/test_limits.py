"""The member's own daily limit ("Configuración personal" → "Límites de transferencia")."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.services.pin import pin_set
from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_account, make_member, make_user, signed_member_limit_set
from transfers.exceptions import TransferError
from transfers.limits import effective_limit, member_limit_set
from transfers.models import MemberDailyLimit
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db

URL = "/transferencias/limites/"
PIN = "4826"


@pytest.fixture
def maria(client):
    member = make_member(email="maria@example.com")
    user = make_user(member=member, email="maria@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    client.force_login(user)
    return user


def _own_order(user, amount):
    source = make_account(member=user.member, balance="10000")
    destination = make_account(member=user.member)
    return TransferOrder(
        transfer_type="own",
        source_account_id=source.pk,
        destination_account_id=destination.pk,
        currency="BOB",
        amount=Decimal(amount),
        description="x",
    )


def test_lowering_applies_at_once_and_is_enforced(client, maria):
    response = client.post(URL, {"transfer_type": "own", "amount_bob": "500,00"})
    assert response.status_code == 302
    assert effective_limit(member_id=maria.member_id, transfer_type="own", now=timezone.now()) == (
        Decimal("500.00")
    )
    with pytest.raises(TransferError) as refused:
        transfer_prepare(user=maria, order=_own_order(maria, "500.01"))
    assert "Bs 500,00" in refused.value.message
    transfer_prepare(user=maria, order=_own_order(maria, "500.00"))
    assert AuditEvent.objects.filter(event="transfer.limit_lowered").count() == 1
    assert OutboxMessage.objects.filter(recipient="maria@example.com").count() == 1
    assert "Límite vigente" in client.get(URL).content.decode()


def test_raising_needs_the_pin_and_waits_for_the_delay(client, maria, settings):
    settings.TRANSFER_LIMIT_RAISE_DELAY = timedelta(hours=24)
    member_limit_set(user=maria, transfer_type="own", amount_bob=Decimal("500.00"), signature=None)
    # The first post shows the "Firma" step; nothing changes yet.
    body = client.post(URL, {"transfer_type": "own", "amount_bob": "2000"}).content.decode()
    assert "Ingrese el PIN para confirmar la transacción" in body
    assert MemberDailyLimit.objects.get().pending_amount_bob is None
    body = client.post(
        URL, {"transfer_type": "own", "amount_bob": "2000", "pin": "1111"}
    ).content.decode()
    assert "El PIN no es correcto" in body
    assert MemberDailyLimit.objects.get().pending_amount_bob is None
    response = client.post(URL, {"transfer_type": "own", "amount_bob": "2000", "pin": PIN})
    assert response.status_code == 302
    row = MemberDailyLimit.objects.get()
    assert (row.amount_bob, row.pending_amount_bob) == (Decimal("500.00"), Decimal("2000.00"))
    now = timezone.now()
    assert effective_limit(member_id=maria.member_id, transfer_type="own", now=now) == Decimal(
        "500.00"
    )
    with pytest.raises(TransferError):
        transfer_prepare(user=maria, order=_own_order(maria, "1000"))
    with time_machine.travel(now + timedelta(hours=24, seconds=1)):
        transfer_prepare(user=maria, order=_own_order(maria, "1000"))
    assert AuditEvent.objects.filter(event="transfer.limit_raise_requested").count() == 1


def test_raise_without_signature_is_refused_by_the_service(maria):
    member_limit_set(user=maria, transfer_type="own", amount_bob=Decimal("500.00"), signature=None)
    with pytest.raises(TransferError):
        member_limit_set(
            user=maria, transfer_type="own", amount_bob=Decimal("600.00"), signature=None
        )
    assert MemberDailyLimit.objects.get().pending_amount_bob is None


def test_lowering_cancels_a_pending_raise(maria):
    member_limit_set(user=maria, transfer_type="own", amount_bob=Decimal("500.00"), signature=None)
    signed_member_limit_set(user=maria, transfer_type="own", amount_bob=Decimal("900"))
    member_limit_set(user=maria, transfer_type="own", amount_bob=Decimal("100.00"), signature=None)
    row = MemberDailyLimit.objects.get()
    assert (row.amount_bob, row.pending_amount_bob) == (Decimal("100.00"), None)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("200000,01", "límite de la cooperativa"), ("-1", "monto"), ("1,234", "decimales")],
)
def test_bad_limits_are_explained(client, maria, amount, message):
    body = client.post(URL, {"transfer_type": "own", "amount_bob": amount}).content.decode()
    assert message in body
    assert MemberDailyLimit.objects.count() == 0


def test_settings_page_links_the_limits(client, maria):
    assert URL in client.get("/configuracion/").content.decode()


def test_staff_without_member_gets_404_and_an_anonymous_visitor_the_login(client):
    assert client.get(URL).status_code == 302  # to the login page
    client.force_login(make_user(username="clerk3", is_staff=True))
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"transfer_type": "own", "amount_bob": "1"}).status_code == 404
