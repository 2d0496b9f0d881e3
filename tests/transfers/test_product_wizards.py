"""The "A cuenta de terceros" and "A otros bancos" wizards over HTTP: registered products,
"Buscar" and "registrar socio", the new-beneficiary cap, and tampered or stale posts."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services.pin import pin_set
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger import services as ledger
from ledger.invariants import ledger_breaches
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_beneficiary_delete,
    signed_beneficiary_register_member,
    signed_beneficiary_register_other_bank,
    signed_transfer_cosign,
    signed_transfer_execute,
)
from transfers.models import InterbankOrder, Transfer, TransferStatus

pytestmark = pytest.mark.django_db

THIRD = "/transferencias/a-cuenta-de-terceros/"
OTHER = "/transferencias/a-otros-bancos/"
PIN = "4826"


@pytest.fixture
def maria(client):
    member = make_member(document_number="4871236", email="maria@example.com")
    user = make_user(member=member, email="maria@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    client.force_login(user)
    return user


@pytest.fixture
def silvia_account():
    silvia = make_member(first_names="Silvia", last_names="Ferrufino Fernández")
    return make_account(member=silvia, currency="BOB")


def _aged(product: ThirdPartyProduct) -> ThirdPartyProduct:
    """Past the cooling period: the new-beneficiary cap no longer applies."""
    ThirdPartyProduct.objects.filter(pk=product.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    product.refresh_from_db()
    return product


def member_product(owner, account, alias="Sara", aged=True):
    product = signed_beneficiary_register_member(
        owner=owner, actor=None, number=account.number, alias=alias
    )
    return _aged(product) if aged else product


def bank_product(owner, number="1234567890", alias="Consultora", currency="BOB"):
    product = signed_beneficiary_register_other_bank(
        owner=owner,
        actor=None,
        bank_id=Bank.objects.get(code="BUN").pk,
        product_type="checking",
        currency=currency,
        number=number,
        holder_name="Silvia Ferrufino Fernandez",
        document_type="CI",
        document_number="3344556",
        alias=alias,
    )
    return _aged(product)


def _post(client, url, prefix, step, fields, **extra):
    data = {f"{prefix}-current_step": step, **{f"{step}-{k}": v for k, v in fields.items()}}
    data.update(extra)
    return client.post(url, data)


def third(client, step, fields, **extra):
    return _post(client, THIRD, "transfer_third_party", step, fields, **extra)


def other(client, step, fields, **extra):
    return _post(client, OTHER, "transfer_other_bank", step, fields, **extra)


def _data(amount="100,00", currency="BOB", **extra):
    fields = {
        "currency": currency,
        "amount": amount,
        "description": "Pago de alquiler",
        "notify_email": "",
        "funds_origin": "",
        "funds_destination": "",
    }
    fields.update(extra)
    return fields


def test_third_party_to_a_registered_product(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    product = member_product(maria.member, silvia_account)
    body = client.get(THIRD).content.decode()
    assert "Paso 1 de 4: Seleccionar tipo y cuenta origen" in body
    body = third(
        client, "source", {"transfer_type": "third_party", "source_account": source.pk}
    ).content.decode()
    assert "Paso 2 de 4: Seleccionar cuenta destino" in body
    assert "Producto registrado" in body and "Agregar una nueva cuenta" in body
    # The guide's table: type, masked holder, alias, masked number, currency.
    assert f"Caja de Ahorros — Silvia F*** F*** — Sara — {product.masked_number} — BOB" in body
    body = third(client, "destination", {"product": product.pk}).content.decode()
    assert "Paso 3 de 4" in body
    response = third(client, "data", _data("300,00"))
    body = response.content.decode()
    assert "Paso 4 de 4" in body and "Sara" in body
    key = response.context["idempotency_key"]
    response = third(client, "confirm", {"pin": PIN}, idempotency_key=key)
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.beneficiary == product
    assert transfer.destination_account == silvia_account
    silvia_account.refresh_from_db()
    assert silvia_account.balance == Decimal("300.00")
    receipt = client.get(response["Location"]).content.decode()
    assert f"Silvia F*** F*** {silvia_account.masked_number}" in receipt
    assert "Ferrufino" not in receipt
    assert ledger_breaches() == []


def test_typed_number_search_and_register_member(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    fields = {"number": silvia_account.number, "register": "on", "alias": "Tía Silvia"}
    body = third(client, "destination", fields, lookup="1").content.decode()
    assert "Paso 2 de 4" in body
    assert "Silvia F*** F***" in body
    body = third(client, "destination", fields).content.decode()
    assert "Paso 3 de 4" in body
    response = third(client, "data", _data("200,00"))
    assert "Tía Silvia" in response.content.decode()  # "Registrar como" in the signed summary
    third(client, "confirm", {"pin": PIN}, idempotency_key=response.context["idempotency_key"])
    product = ThirdPartyProduct.objects.get(owner=maria.member)
    assert product.alias == "Tía Silvia" and product.account == silvia_account
    transfer = Transfer.objects.get()
    assert transfer.beneficiary == product
    assert transfer.status == TransferStatus.POSTED


def test_a_summary_without_registering_cannot_sign_a_registration(client, maria, silvia_account):
    """The registration tick and alias are part of what is signed: a page whose summary did
    not say "Registrar como" cannot sign once the wizard has been changed to register."""
    source = make_account(member=maria.member, balance="1000")
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    typed = {"number": silvia_account.number}
    third(client, "destination", typed)
    old_page = third(client, "data", _data("200,00"))
    # Back to step 2 (another tab), tick "registrar socio", and stop at step 3: no new
    # summary was shown, so the last one (without registering) is still the stored one.
    third(client, "confirm", {}, wizard_goto_step="destination")
    step3 = third(client, "destination", {**typed, "register": "on", "alias": "Otra"})
    assert "Paso 3 de 4" in step3.content.decode()
    key = old_page.context["idempotency_key"]
    refused = third(client, "confirm", {"pin": PIN}, idempotency_key=key)
    assert "cambiaron" in refused.content.decode()
    assert Transfer.objects.count() == 0
    assert not ThirdPartyProduct.objects.filter(owner=maria.member).exists()


def test_new_beneficiary_cap_refuses_and_counts_what_was_sent(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="5000")
    product = member_product(maria.member, silvia_account, aged=False)
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"product": product.pk})
    body = third(client, "data", _data("1000,01")).content.decode()
    assert "Paso 3 de 4" in body
    assert "Sara fue registrado hace poco" in body
    # Up to the cap passes; then even one boliviano more is refused for the whole period.
    response = third(client, "data", _data("1000,00"))
    third(client, "confirm", {"pin": PIN}, idempotency_key=response.context["idempotency_key"])
    assert Transfer.objects.count() == 1
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"product": product.pk})
    body = third(client, "data", _data("1,00")).content.decode()
    # Amounts sit in money spans with no-break spaces: read the text a person reads.
    assert "Ya enviado: Bs 1.000,00" in re.sub(r"<[^>]+>", "", body).replace("\xa0", " ")
    assert Transfer.objects.count() == 1


def test_typed_unregistered_account_is_capped_too(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="5000")
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"number": silvia_account.number})
    body = third(client, "data", _data("1500,00")).content.decode()
    assert "no está entre sus productos registrados" in body
    assert Transfer.objects.count() == 0


def test_other_bank_to_a_registered_product(client, maria, django_capture_on_commit_callbacks):
    source = make_account(member=maria.member, balance="1000")
    product = bank_product(maria.member)
    client.get(OTHER)
    other(client, "source", {"transfer_type": "other_bank", "source_account": source.pk})
    body = other(client, "destination", {"product": product.pk}).content.decode()
    assert "Paso 3 de 4" in body
    response = other(client, "data", _data("500,00"))
    body = response.content.decode()
    assert "Banco Unión" in body and "Bs 5,00" in body  # bank and "Costo transacción"
    with django_capture_on_commit_callbacks(execute=True):
        third_response = other(
            client, "confirm", {"pin": PIN}, idempotency_key=response.context["idempotency_key"]
        )
    assert third_response.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.destination_bank.code, transfer.destination_number) == ("BUN", "1234567890")
    assert transfer.destination_name == "Silvia Ferrufino Fernandez"
    assert transfer.beneficiary == product
    assert InterbankOrder.objects.filter(transfer=transfer).exists()
    source.refresh_from_db()
    assert source.balance == Decimal("495.00")


def test_other_members_product_id_is_refused(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    foreign = member_product(make_member(), silvia_account, alias="Ajeno")
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    response = third(client, "destination", {"product": foreign.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Paso 2 de 4" in body and "Escoja una opción válida" in body
    for bad in ("abc", "999999999"):
        response = third(client, "destination", {"product": bad})
        assert (
            response.status_code == 200 and "Escoja una opción válida" in response.content.decode()
        )
    assert Transfer.objects.count() == 0


def test_tampered_currency_is_refused(client, maria):
    source = make_account(member=maria.member, balance="1000")
    product = bank_product(maria.member)
    client.get(OTHER)
    other(client, "source", {"transfer_type": "other_bank", "source_account": source.pk})
    other(client, "destination", {"product": product.pk})
    for currency in ("USD", "EUR"):
        response = other(client, "data", _data(currency=currency))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Paso 3 de 4" in body and "Escoja una opción válida" in body, currency
    assert Transfer.objects.count() == 0


def test_product_deleted_after_the_summary_refuses_the_signature(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    product = member_product(maria.member, silvia_account)
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"product": product.pk})
    response = third(client, "data", _data())
    signed_beneficiary_delete(product=product, actor=maria)
    response = third(
        client, "confirm", {"pin": PIN}, idempotency_key=response.context["idempotency_key"]
    )
    assert response.status_code == 200
    assert Transfer.objects.count() == 0
    source.refresh_from_db()
    assert source.balance == Decimal("1000.00")


def test_stale_wizard_after_the_balance_changed(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    product = member_product(maria.member, silvia_account)
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"product": product.pk})
    response = third(client, "data", _data("800,00"))
    ledger.cash_withdrawal(account=source, amount=Decimal("500.00"))
    response = third(
        client, "confirm", {"pin": PIN}, idempotency_key=response.context["idempotency_key"]
    )
    assert response.status_code == 200
    assert "saldo suficiente" in response.content.decode()
    assert Transfer.objects.count() == 0


def test_wrong_pin_on_a_third_party_transfer(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    product = member_product(maria.member, silvia_account)
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    third(client, "destination", {"product": product.pk})
    response = third(client, "data", _data())
    key = response.context["idempotency_key"]
    response = third(client, "confirm", {"pin": "1111"}, idempotency_key=key)
    assert "El PIN no es correcto" in response.content.decode()
    assert Transfer.objects.count() == 0


def test_missing_declaration_over_the_threshold(client, maria):
    source = make_account(member=maria.member, currency="USD", balance="3000")
    product = bank_product(maria.member, currency="USD", number="9876543210", alias="Dólares")
    client.get(OTHER)
    other(client, "source", {"transfer_type": "other_bank", "source_account": source.pk})
    other(client, "destination", {"product": product.pk})
    body = other(client, "data", _data("1000,01", currency="USD")).content.decode()
    assert "Paso 3 de 4" in body
    assert "origen y el destino de fondos son requeridos" in body
    assert Transfer.objects.count() == 0


def test_search_is_rate_limited(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    client.get(THIRD)
    third(client, "source", {"transfer_type": "third_party", "source_account": source.pk})
    for _ in range(10):
        body = third(
            client, "destination", {"number": silvia_account.number}, lookup="1"
        ).content.decode()
        assert "Silvia F*** F***" in body
    body = third(
        client, "destination", {"number": silvia_account.number}, lookup="1"
    ).content.decode()
    assert "demasiadas búsquedas" in body
    # "Siguiente" with a new number is a lookup too, so it cannot bypass the limit.
    other_account = make_account(member=make_member(), currency="BOB")
    body = third(client, "destination", {"number": other_account.number}).content.decode()
    assert "Paso 2 de 4" in body and "demasiadas búsquedas" in body


def test_add_a_new_account_comes_back_to_the_wizard(client, maria, silvia_account):
    source = make_account(member=maria.member, balance="1000")
    client.get(THIRD)
    body = third(
        client, "source", {"transfer_type": "third_party", "source_account": source.pk}
    ).content.decode()
    link = (
        "/administracion/productos-de-terceros/agregar/"
        "?next=%2Ftransferencias%2Fa-cuenta-de-terceros%2F%3Fpaso%3Ddestino"
    )
    assert link in body
    client.get(link)
    client.post("/administracion/productos-de-terceros/agregar/", {"kind": "member"})
    client.post(
        "/administracion/productos-de-terceros/agregar/socio/",
        {"product_type": "savings", "number": silvia_account.number, "alias": "Sara", "email": ""},
    )
    key = client.session["beneficiary_wizard"]["key"]
    response = client.post(
        "/administracion/productos-de-terceros/agregar/firma/", {"pin": PIN, "idempotency_key": key}
    )
    assert response["Location"] == "/transferencias/a-cuenta-de-terceros/?paso=destino"
    body = client.get(response["Location"]).content.decode()
    assert "Paso 2 de 4" in body and "Sara" in body


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_beneficiary_next_only_accepts_relative_paths(client, maria, silvia_account, next_url):
    client.get("/administracion/productos-de-terceros/agregar/", {"next": next_url})
    client.post("/administracion/productos-de-terceros/agregar/", {"kind": "member"})
    client.post(
        "/administracion/productos-de-terceros/agregar/socio/",
        {"product_type": "savings", "number": silvia_account.number, "alias": "Sara", "email": ""},
    )
    key = client.session["beneficiary_wizard"]["key"]
    response = client.post(
        "/administracion/productos-de-terceros/agregar/firma/", {"pin": PIN, "idempotency_key": key}
    )
    assert response["Location"] == "/administracion/productos-de-terceros/"


def test_execute_refuses_a_closed_destination_account(maria, silvia_account):
    from ledger.models import Account
    from transfers.exceptions import TransferError
    from transfers.services import TransferOrder, transfer_prepare

    source = make_account(member=maria.member, balance="1000")
    product = member_product(maria.member, silvia_account)
    order = TransferOrder(
        transfer_type="third_party",
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("10"),
        description="x",
        beneficiary_id=product.pk,
        # Ignored: a registered product's destination always comes from the product.
        destination_account_id=source.pk,
    )
    quote = transfer_prepare(user=maria, order=order)
    assert quote.destination_key == str(silvia_account.pk)
    Account.objects.filter(pk=silvia_account.pk).update(status=Account.Status.CLOSED)
    with pytest.raises(TransferError):
        signed_transfer_execute(
            user=maria,
            order=order,
            expected_fingerprint=quote.fingerprint(),
            idempotency_key=uuid.uuid4().hex,
        )
    assert Transfer.objects.count() == 0


def test_menu_links_the_wizards_and_my_transfers(client, maria):
    body = client.get("/transferencias/").content.decode()
    for href in (THIRD, OTHER, "/transferencias/entre-mis-cuentas/"):
        assert f'href="{href}"' in body
    assert 'href="/transferencias/">Mis transferencias<' in body


def test_joint_transfer_to_a_product_deleted_before_the_last_signature(maria, silvia_account):
    from ledger.models import Account
    from transfers.exceptions import TransferError
    from transfers.services import (
        TransferOrder,
        transfer_prepare,
    )

    juan = make_user(member=make_member())
    joint = make_account(
        member=maria.member,
        holder_mode=Account.HolderMode.CONJUNTA,
        co_holders=(juan.member,),
        balance="1000",
    )
    product = member_product(maria.member, silvia_account)
    order = TransferOrder(
        transfer_type="third_party",
        source_account_id=joint.pk,
        currency="BOB",
        amount=Decimal("100"),
        description="x",
        beneficiary_id=product.pk,
    )
    quote = transfer_prepare(user=maria, order=order)
    transfer = signed_transfer_execute(
        user=maria, order=order, expected_fingerprint=quote.fingerprint(), idempotency_key="j"
    )
    assert transfer.status == TransferStatus.PENDING_COSIGN
    signed_beneficiary_delete(product=product, actor=maria)
    with pytest.raises(TransferError):
        signed_transfer_cosign(user=juan, transfer_id=transfer.pk, approve=True)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PENDING_COSIGN and transfer.posting is None
    joint.refresh_from_db()
    assert joint.balance == Decimal("1000.00")
