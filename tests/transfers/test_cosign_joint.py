"""Issue 12, Medium 7 and the Low "last co-signature posts without re-checking": a joint
("conjunta") account's co-holder signs what the initiator saw, bound to the same fingerprint;
is told a signature is waiting; and the last signature re-checks the limits, the
new-beneficiary cap and the regulatory rule before any money moves."""

import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from accounts.services.pin import pin_set
from audit.models import AuditEvent
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.invariants import ledger_breaches
from ledger.models import Account
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_beneficiary_register_other_bank,
    signed_transfer_cosign,
    signed_transfer_execute,
)
from transfers.exceptions import TransferError
from transfers.models import DailyLimit, Transfer, TransferStatus, TransferType
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db
PIN = "4826"
WIZARD = "/transferencias/entre-mis-cuentas/"


# One place calls the services directly, so the signature argument helper "receipts" adds
# to transfer_execute / transfer_cosign can be adapted here alone.
def _execute(user, order):
    quote = transfer_prepare(user=user, order=order)
    return signed_transfer_execute(
        user=user,
        order=order,
        expected_fingerprint=quote.fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    ), quote


def _cosign(user, transfer, approve=True):
    # The service's own transaction, as in production: inside the test's transaction
    # atomic_with_retries runs the work bare, so a refusal would not roll back here.
    with transaction.atomic():
        return signed_transfer_cosign(user=user, transfer_id=transfer.pk, approve=approve)


@pytest.fixture
def holders():
    maria = make_member(first_names="María", last_names="Quispe Mamani", email="m@example.com")
    juan = make_member(first_names="Juan", last_names="Pérez", email="juan@example.com")
    maria_user = make_user(member=maria, email="maria.web@example.com")
    juan_user = make_user(member=juan, email="juan.web@example.com")
    for user in (maria_user, juan_user):
        pin_set(user=user, pin=PIN, notify=False)
    joint = make_account(
        member=maria,
        holder_mode=Account.HolderMode.CONJUNTA,
        co_holders=(juan,),
        balance="5000",
        currency="BOB",
    )
    return maria_user, juan_user, joint


def _bank_product(owner, *, aged=True):
    from datetime import timedelta

    from django.utils import timezone

    product = signed_beneficiary_register_other_bank(
        owner=owner,
        bank_id=Bank.objects.get(code="BUN").pk,
        product_type="checking",
        currency="BOB",
        number="1234567890",
        holder_name="Silvia Ferrufino Fernandez",
        document_type="CI",
        document_number="3344556",
        alias="Consultora",
    )
    if aged:
        ThirdPartyProduct.objects.filter(pk=product.pk).update(
            created_at=timezone.now() - timedelta(days=3)
        )
        product.refresh_from_db()
    return product


def _other_bank_order(joint, product, amount="700.00", **extra):
    return TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=joint.pk,
        currency="BOB",
        amount=Decimal(amount),
        description="Honorarios de octubre",
        beneficiary_id=product.pk,
        **extra,
    )


# -- what the co-holder sees and signs --------------------------------------------------------


def test_the_cosign_page_shows_everything_the_initiator_saw(client, holders):
    maria, juan, joint = holders
    product = _bank_product(maria.member)
    transfer, quote = _execute(
        maria,
        _other_bank_order(
            joint, product, funds_origin="Venta de ganado", funds_destination="Pago de deudas"
        ),
    )
    assert transfer.status == TransferStatus.PENDING_COSIGN
    client.force_login(juan)
    body = client.get(f"/transferencias/firma-conjunta/{transfer.pk}/").content.decode()
    for shown in [
        "Consultora — Silvia Ferrufino Fernandez X000X-890",  # payee name and number
        "Banco Unión",  # bank
        "Bs 700,00",  # amount debited and credited
        "Costo transacción",
        f"Bs {quote.fee_amount:.2f}".replace(".", ","),
        "Total a debitar",
        "Honorarios de octubre",  # description
        "Venta de ganado",  # declarations
        "Pago de deudas",
    ]:
        assert shown in body, shown


def test_the_co_holder_signs_the_initiators_fingerprint(client, holders):
    maria, juan, joint = holders
    product = _bank_product(maria.member)
    transfer, quote = _execute(maria, _other_bank_order(joint, product))
    transfer.refresh_from_db()
    assert transfer.signed_fingerprint == quote.fingerprint()
    client.force_login(juan)
    url = f"/transferencias/firma-conjunta/{transfer.pk}/"
    client.get(url)
    response = client.post(url, {"decision": "sign", "pin": PIN})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SENT
    signed = AuditEvent.objects.filter(event="signature.verified", actor=juan).get()
    summary = signed.new["summary"]
    assert summary["Huella de la orden firmada"] == quote.fingerprint()
    assert summary["Cuenta destino"] == "Consultora — Silvia Ferrufino Fernandez X000X-890"
    assert summary["Banco"] == "Banco Unión S.A."
    assert summary["Descripción"] == "Honorarios de octubre"


def test_co_holders_are_emailed_when_a_signature_waits(holders):
    maria, juan, joint = holders
    target = make_account(member=maria.member)
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=joint.pk,
        destination_account_id=target.pk,
        currency="BOB",
        amount=Decimal("300.00"),
        description="Visit http://evil.example/login",
    )
    transfer, _quote = _execute(maria, order)
    notice = OutboxMessage.objects.get(recipient="juan.web@example.com")
    assert transfer.verification_code in notice.body_text
    assert "Bs 300,00" in notice.body_text
    assert "evil.example" not in notice.body_text  # no member text in the notice
    assert not OutboxMessage.objects.filter(recipient="maria.web@example.com").exists()


def test_the_initiator_reads_pending_not_processed(client, holders):
    maria, _juan, joint = holders
    target = make_account(member=maria.member)
    client.force_login(maria)

    def step(name, fields, **extra):
        data = {"transfer_own-current_step": name, **{f"{name}-{k}": v for k, v in fields.items()}}
        return client.post(WIZARD, {**data, **extra}, follow=True)

    client.get(WIZARD)
    step("source", {"transfer_type": "own", "source_account": joint.pk})
    step("destination", {"destination_account": target.pk})
    response = step(
        "data",
        {"currency": "BOB", "amount": "100,00", "description": "Ahorro", "notify_email": ""},
    )
    key = response.context["idempotency_key"]
    response = step("confirm", {"pin": PIN}, idempotency_key=key)
    body = response.content.decode()
    assert "pendiente de firma de los cotitulares" in body
    assert "fue procesada" not in body
    assert "Pendiente de firma de los cotitulares" in body  # the receipt's status
    assert Transfer.objects.get().status == TransferStatus.PENDING_COSIGN


# -- the last signature re-checks ------------------------------------------------------------


def _pending_own(holders, amount):
    maria, _juan, joint = holders
    target = make_account(member=maria.member)
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=joint.pk,
        destination_account_id=target.pk,
        currency="BOB",
        amount=Decimal(amount),
        description="Ahorro",
    )
    transfer, _quote = _execute(maria, order)
    return transfer


def _assert_still_pending(transfer, joint):
    transfer.refresh_from_db()
    joint.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING_COSIGN
    assert transfer.posting is None
    assert joint.balance == Decimal("5000.00")
    assert transfer.cosignatures.filter(decision="pending").exists()  # may sign again later


def test_a_limit_lowered_before_the_last_signature_refuses_it(holders):
    _maria, juan, joint = holders
    transfer = _pending_own(holders, "300.00")
    DailyLimit.objects.update_or_create(
        transfer_type=TransferType.OWN, defaults={"amount_bob": Decimal("200.00")}
    )
    with pytest.raises(TransferError) as exc:
        _cosign(juan, transfer)
    assert "límite diario" in exc.value.message
    _assert_still_pending(transfer, joint)
    # Back up, it posts: the refusal changed nothing.
    DailyLimit.objects.filter(transfer_type=TransferType.OWN).update(amount_bob=Decimal("300.00"))
    assert _cosign(juan, transfer).status == TransferStatus.POSTED
    assert ledger_breaches() == []


def test_the_pending_transfer_is_not_counted_twice(holders):
    """A limit equal to the transfer itself: the pending row already counts in the member's
    totals, so counting it again would refuse a transfer that fits exactly."""
    _maria, juan, joint = holders
    DailyLimit.objects.update_or_create(
        transfer_type=TransferType.OWN, defaults={"amount_bob": Decimal("300.00")}
    )
    transfer = _pending_own(holders, "300.00")
    assert _cosign(juan, transfer).status == TransferStatus.POSTED


def test_a_cap_lowered_before_the_last_signature_refuses_it(holders):
    maria, juan, joint = holders
    product = _bank_product(maria.member, aged=False)  # in its cooling period
    transfer, _quote = _execute(maria, _other_bank_order(joint, product, amount="700.00"))
    lower = override_settings(BENEFICIARY_COOLING_LIMIT={"BOB": Decimal("500"), "USD": 100})
    with lower, pytest.raises(TransferError):
        _cosign(juan, transfer)
    _assert_still_pending(transfer, joint)
    # At the cap as configured (Bs 1.000), the transfer's own Bs 700 counts once: it posts.
    assert _cosign(juan, transfer).status == TransferStatus.SENT


def test_the_regulatory_rule_is_checked_again_at_the_last_signature(holders):
    """Under the threshold at initiation (no declarations needed), over it by the time the
    co-holder signs, because the initiator moved more money in between."""
    maria, juan, joint = holders
    transfer = _pending_own(holders, "3430.00")  # USD 500,00 at 6,86
    other = make_account(member=maria.member, balance="4000")
    mine = make_account(member=maria.member)
    _execute(
        maria,
        TransferOrder(
            transfer_type=TransferType.OWN,
            source_account_id=other.pk,
            destination_account_id=mine.pk,
            currency="BOB",
            amount=Decimal("3500.00"),
            description="Ahorro",
            funds_origin="Venta de ganado",
            funds_destination="Ahorro familiar",
        ),
    )
    with pytest.raises(TransferError) as exc:
        _cosign(juan, transfer)
    assert "origen y el destino de fondos" in exc.value.message
    _assert_still_pending(transfer, joint)


@pytest.mark.django_db(transaction=True)
def test_a_signature_after_the_window_expires_the_transfer_for_good(holders):
    """Committed, as in production (no test transaction around the service): the co-holder
    is refused and the transfer is expired at once, not left pending until the nightly job
    (raising inside the service's transaction used to roll the expiry back)."""
    from datetime import timedelta

    from django.utils import timezone

    _maria, juan, joint = holders
    transfer = _pending_own(holders, "300.00")
    Transfer.objects.filter(pk=transfer.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.TRANSFER_COSIGN_TTL_HOURS, minutes=1)
    )
    with pytest.raises(TransferError) as exc:
        signed_transfer_cosign(user=juan, transfer_id=transfer.pk, approve=True)
    assert "venció" in exc.value.message or "expir" in exc.value.message.lower()
    transfer.refresh_from_db()
    joint.refresh_from_db()
    assert transfer.status == TransferStatus.EXPIRED
    assert transfer.posting is None
    assert joint.balance == Decimal("5000.00")
