"""Issue 12, Medium 9: the beneficiary notice ("Correo electrónico" in the wizard) cannot be
used to send phishing. It is a fixed text with nothing the member typed, and a member may
notify at most TRANSFER_NOTIFY_ADDRESSES_PER_DAY distinct addresses a day."""

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.services.pin import pin_set
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
)
from transfers.exceptions import TransferError
from transfers.models import Transfer, TransferType
from transfers.services import TransferOrder

pytestmark = pytest.mark.django_db
PIN = "4826"
_DAYS = itertools.count(1)
WIZARD = "/transferencias/entre-mis-cuentas/"


# The one direct call of the service (the signature argument lands here after merging).
def _execute(user, order):
    return priced_transfer_execute(user=user, order=order)


@pytest.fixture
def maria():
    member = make_member(first_names="María", last_names="Quispe Mamani")
    user = make_user(member=member, email="maria@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    source = make_account(member=member, balance="100000")
    target = make_account(member=member)
    return user, source, target


def _order(source, target, **extra):
    fields = {
        "transfer_type": TransferType.OWN,
        "source_account_id": source.pk,
        "destination_account_id": target.pk,
        "currency": "BOB",
        "amount": Decimal("10.00"),
        "description": "Ahorro",
    }
    return TransferOrder(**{**fields, **extra})


def _notices(address):
    return OutboxMessage.objects.filter(recipient=address)


def test_the_notice_is_a_fixed_text_with_the_verification_code(maria):
    user, source, target = maria
    transfer = _execute(
        user,
        _order(
            source,
            target,
            notify_email="victima@example.net",
            description="Su cuenta será bloqueada: ingrese a https://coopprogreso-bo.example/login",
        ),
    )
    notice = _notices("victima@example.net").get()
    body = notice.body_text + notice.body_html + notice.subject
    assert "http" not in body and "coopprogreso-bo" not in body and "bloqueada" not in body
    assert transfer.verification_code in body
    assert "María Q*** M***" in body  # the sender, masked
    assert "Bs 10,00" in body
    assert timezone.localtime(transfer.posted_at).strftime("%d/%m/%Y") in body
    assert "Cómo verificar esta transferencia" in body


@hsettings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    description=st.text(
        st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=60
    ).filter(lambda s: s.strip())
)
def test_no_description_ever_reaches_the_notice(maria, description):
    user, source, target = maria
    marked = f"{description} www.phish{uuid.uuid4().hex[:8]}.example"
    address = f"n{uuid.uuid4().hex[:6]}@example.net"
    # One example a day, so the day's address quota never interferes.
    with time_machine.travel(timezone.now() + timedelta(days=next(_DAYS))):
        _execute(user, _order(source, target, notify_email=address, description=marked))
    notice = _notices(address).get()
    assert "phish" not in notice.body_text + notice.body_html + notice.subject


def test_at_most_n_notification_addresses_a_day(maria):
    user, source, target = maria
    limit = settings.TRANSFER_NOTIFY_ADDRESSES_PER_DAY
    assert limit == 5
    for n in range(limit):
        _execute(user, _order(source, target, notify_email=f"amigo{n}@example.net"))
    assert OutboxMessage.objects.filter(recipient__startswith="amigo").count() == limit
    with pytest.raises(TransferError) as exc:
        _execute(user, _order(source, target, notify_email="sexto@example.net"))
    assert exc.value.field == "notify_email"
    assert "5 direcciones" in exc.value.message
    assert not _notices("sexto@example.net").exists()
    assert Transfer.objects.filter(notify_email="sexto@example.net").count() == 0
    # An address already notified today (in any letter case) is not a new one.
    _execute(user, _order(source, target, notify_email="AMIGO0@example.net"))
    # No address at all: the transfer goes, without email to anyone but the member.
    _execute(user, _order(source, target))
    # Tomorrow (La Paz) the count starts again.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        _execute(user, _order(source, target, notify_email="sexto@example.net"))
    assert _notices("sexto@example.net").count() == 1


def test_the_wizard_says_why_at_step_3(client, maria):
    user, source, target = maria
    for n in range(settings.TRANSFER_NOTIFY_ADDRESSES_PER_DAY):
        _execute(user, _order(source, target, notify_email=f"amigo{n}@example.net"))
    client.force_login(user)

    def step(name, fields):
        data = {"transfer_own-current_step": name, **{f"{name}-{k}": v for k, v in fields.items()}}
        return client.post(WIZARD, data)

    client.get(WIZARD)
    step("source", {"transfer_type": "own", "source_account": source.pk})
    step("destination", {"destination_account": target.pk})
    body = step(
        "data",
        {
            "currency": "BOB",
            "amount": "10,00",
            "description": "Ahorro",
            "notify_email": "sexto@example.net",
        },
    ).content.decode()
    assert "Paso 3 de 4" in body
    assert "Hoy ya notificó a 5 direcciones de correo distintas" in body
