"""The "Entre mis cuentas" wizard over HTTP: steps, signing, idempotency, bad input."""

from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.services.pin import pin_set
from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from ledger.models import ExchangeRate
from ledger.services import cash_withdrawal
from tests.factories import make_account, make_member, make_user, signed_transfer_execute
from transfers.models import Transfer

pytestmark = pytest.mark.django_db

URL = "/transferencias/entre-mis-cuentas/"
PIN = "4826"


@pytest.fixture
def maria(client):
    member = make_member(document_number="4871236", email="maria@example.com")
    user = make_user(member=member, email="maria@example.com")
    pin_set(user=user, pin=PIN, notify=False)
    client.force_login(user)
    return user


def _step(client, step, fields, **extra):
    data = {"transfer_own-current_step": step, **{f"{step}-{k}": v for k, v in fields.items()}}
    data.update(extra)
    return client.post(URL, data)


def _walk_to_confirm(client, source, destination, amount="100,00", currency=None, **data):
    # "?nueva=1": a new transfer from step 1 (a plain GET resumes the one being entered, which
    # several tests here walk again with other data; tests/transfers/test_wizard_reload.py).
    response = client.get(URL + "?nueva=1")
    assert "Paso 1 de 4: Seleccionar tipo y cuenta origen" in response.content.decode()
    response = _step(client, "source", {"transfer_type": "own", "source_account": source.pk})
    assert "Paso 2 de 4: Seleccionar cuenta destino" in response.content.decode()
    response = _step(client, "destination", {"destination_account": destination.pk})
    assert "Paso 3 de 4: Ingrese los datos" in response.content.decode()
    fields = {
        "currency": currency or source.currency,
        "amount": amount,
        "description": "Ahorro mensual",
        "notify_email": "",
        "funds_origin": "",
        "funds_destination": "",
    }
    fields.update(data)
    return _step(client, "data", fields)


def _key(response):
    return response.context["idempotency_key"]


def test_own_transfer_end_to_end(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    response = _walk_to_confirm(client, source, destination, amount="250,50")
    body = response.content.decode()
    assert "Paso 4 de 4: Confirmación de la transferencia" in body
    for label in ("Costo transacción", "Excede monto regulatorio", "Monto a debitar", "Firma"):
        assert label in body
    assert "Bs 250,50" in body
    key = _key(response)
    response = _step(client, "confirm", {"pin": PIN}, idempotency_key=key)
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/transferencias/comprobante/{transfer.pk}/"
    source.refresh_from_db()
    assert source.balance == Decimal("749.50")
    receipt = client.get(response["Location"]).content.decode()
    assert transfer.verification_code in receipt
    # A replay of the signed step shows the same receipt and moves nothing.
    again = _step(client, "confirm", {"pin": PIN}, idempotency_key=key)
    assert again["Location"] == f"/transferencias/comprobante/{transfer.pk}/"
    assert Transfer.objects.count() == 1
    assert ledger_breaches() == []


def test_wrong_pin_keeps_the_wizard_and_moves_nothing(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    response = _walk_to_confirm(client, source, destination)
    key = _key(response)
    response = _step(client, "confirm", {"pin": "9999"}, idempotency_key=key)
    assert response.status_code == 200
    assert "El PIN no es correcto" in response.content.decode()
    assert Transfer.objects.count() == 0
    response = _step(client, "confirm", {"pin": PIN}, idempotency_key=key)
    assert response.status_code == 302
    assert Transfer.objects.count() == 1


def test_rate_change_after_summary_invalidates_the_signature(client, maria):
    source = make_account(member=maria.member, currency="BOB", balance="5000")
    destination = make_account(member=maria.member, currency="USD")
    response = _walk_to_confirm(client, source, destination, amount="100", currency="USD")
    assert "Bs 696,00" in response.content.decode()
    ExchangeRate.objects.create(
        rate_type=ExchangeRate.RateType.OFFICIAL_SELL,
        valid_from=timezone.localdate(),
        rate="7.0000",
    )
    response = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))
    assert response.status_code == 200
    assert "cambiaron" in response.content.decode()
    assert Transfer.objects.count() == 0


def test_bad_amounts_are_explained_on_the_data_step(client, maria):
    source = make_account(member=maria.member, balance="100")
    destination = make_account(member=maria.member)
    for amount, message in [
        ("0", "mayor a cero"),
        ("10,005", "dos decimales"),
        ("abc", "monto válido"),
        ("100,01", "saldo suficiente"),
    ]:
        response = _walk_to_confirm(client, source, destination, amount=amount)
        body = response.content.decode()
        assert "Paso 3 de 4" in body, amount
        assert message in body, amount
    assert Transfer.objects.count() == 0


def test_declaration_required_over_the_threshold(client, maria):
    source = make_account(member=maria.member, currency="USD", balance="5000")
    destination = make_account(member=maria.member, currency="USD")
    response = _walk_to_confirm(client, source, destination, amount="1000,01")
    assert "Paso 3 de 4" in response.content.decode()
    assert "origen y el destino de fondos son requeridos" in response.content.decode()
    response = _walk_to_confirm(
        client,
        source,
        destination,
        amount="1000,01",
        funds_origin="Venta de Mercaderias",
        funds_destination="Pago de Servicios Profesionales",
    )
    body = response.content.decode()
    assert "Paso 4 de 4" in body
    assert "Venta de Mercaderias" in body


def test_foreign_source_account_is_refused(client, maria):
    foreign = make_account(member=make_member(), balance="1000")
    client.get(URL)
    response = _step(client, "source", {"transfer_type": "own", "source_account": foreign.pk})
    assert "Paso 1 de 4" in response.content.decode()
    assert Transfer.objects.count() == 0


def test_posting_the_last_step_directly_does_not_skip_steps(client, maria):
    make_account(member=maria.member, balance="1000")
    client.get(URL)
    response = _step(client, "confirm", {"pin": PIN}, idempotency_key="forged")
    assert response.status_code == 200
    assert Transfer.objects.count() == 0


def test_cancel_discards_the_wizard(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    _walk_to_confirm(client, source, destination)
    response = _step(client, "data", {}, cancel="1")
    assert response.status_code == 302
    assert "Paso 1 de 4" in client.get(URL).content.decode()


def test_staff_without_member_gets_404(client):
    client.force_login(make_user(username="clerk2", is_staff=True))
    assert client.get(URL).status_code == 404


def test_receipts_of_other_members_are_404(client, maria):
    other = make_user(member=make_member())
    a = make_account(member=other.member, balance="100")
    b = make_account(member=other.member)
    from transfers.services import TransferOrder, transfer_prepare

    order = TransferOrder(
        transfer_type="own",
        source_account_id=a.pk,
        destination_account_id=b.pk,
        currency="BOB",
        amount=Decimal("10"),
        description="x",
    )
    quote = transfer_prepare(user=other, order=order)
    transfer = signed_transfer_execute(
        user=other, order=order, expected_fingerprint=quote.fingerprint(), idempotency_key="o"
    )
    for url in (
        f"/transferencias/comprobante/{transfer.pk}/",
        f"/transferencias/comprobante/{transfer.pk}/pdf/",
        f"/transferencias/firma-conjunta/{transfer.pk}/",
    ):
        assert client.get(url).status_code == 404, url


def test_receipt_pdf(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    response = _walk_to_confirm(client, source, destination)
    _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))
    transfer = Transfer.objects.get()
    pdf = client.get(f"/transferencias/comprobante/{transfer.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_radio_groups_are_fieldsets_named_by_a_legend(client, maria):
    source = make_account(member=maria.member, balance="1000")
    make_account(member=maria.member)
    client.get(URL)
    page = _step(client, "source", {"transfer_type": "own", "source_account": source.pk})
    body = page.content.decode()
    assert 'for=""' not in body
    assert "<legend>" in body and "Cuenta destino" in body


def test_signing_step_query_count_is_pinned(client, maria, django_assert_num_queries):
    """The signed POST is the wizard's hot path (bench/transfer_http.py): no query per holder."""
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    response = _walk_to_confirm(client, source, destination)
    # 16 + 2 for the signature receipt: its grant row is written (in one statement with its
    # audit row), then consumed by the service. The transfer row and its audit row are one
    # statement too (transfers.services._transfer_row).
    # The posting itself is ONE statement (ledger_posting_create): no lock query, no savepoint.
    # The steps validated again from the session read the member's accounts once; the session
    # is read through the cache and its row not rewritten (accounts.session_store). Under the
    # member lock both own accounts, both limits and today's/5-day totals are ONE statement
    # (transfers.services._own_ends).
    with django_assert_num_queries(18):
        _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))


def _back_to_data_and_next(client, *, amount):
    """From step 4, "Anterior" to step 3, then "Siguiente" with ``amount``."""
    back = _step(client, "confirm", {}, wizard_goto_step="data")
    assert "Paso 3 de 4: Ingrese los datos" in back.content.decode()
    fields = {"currency": "BOB", "amount": amount, "description": "Ahorro mensual"}
    return _step(client, "data", {**fields, "notify_email": "", "funds_origin": ""})


def test_a_page_showing_an_older_summary_cannot_sign_the_newer_one(client, maria):
    """One wizard, two pages: the summary for Bs 100 is left open (another tab, the back
    button) while "Anterior" changes the amount to Bs 200. Signing the older page is refused;
    it cannot post the amount it never showed."""
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    old_page = _walk_to_confirm(client, source, destination, amount="100,00")
    new_page = _back_to_data_and_next(client, amount="200,00")
    assert "Bs 200,00" in new_page.content.decode()
    assert _key(old_page) != _key(new_page)

    refused = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(old_page))
    assert refused.status_code == 200
    assert "cambiaron" in refused.content.decode()
    assert Transfer.objects.count() == 0

    signed = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(new_page))
    assert signed.status_code == 302
    assert Transfer.objects.get().amount == Decimal("200.00")


def test_showing_the_same_summary_again_keeps_its_key(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    first = _walk_to_confirm(client, source, destination, amount="100,00")
    # "Anterior" to the data step and "Siguiente" with the same data: the same summary.
    again = _back_to_data_and_next(client, amount="100,00")
    assert _key(first) == _key(again)


def test_a_tampered_step_name_shows_the_current_step(client, maria):
    source = make_account(member=maria.member, balance="1000")
    client.get(URL)
    response = _step(client, "2026-11-26", {"source_account": source.pk})
    assert response.status_code == 200
    assert "Paso 1 de 4" in response.content.decode()


def test_the_pin_is_never_kept_in_the_session(client, maria):
    """formtools stores every step's post in the session; a refused signature keeps the wizard
    (and the session row) alive, but not the PIN typed into it."""
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    response = _walk_to_confirm(client, source, destination)
    _step(client, "confirm", {"pin": "9173"}, idempotency_key=_key(response))  # wrong PIN
    # The right PIN, but the balance fell after the summary: refused after signing.
    cash_withdrawal(account=source, amount=Decimal("950.00"))
    refused = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))
    assert refused.status_code == 200
    assert Transfer.objects.count() == 0
    session = client.session  # the row and the engine's cached copy (accounts.session_store)
    stored = (
        f"{Session.objects.get(session_key=session.session_key).get_decoded()} {session.load()}"
    )
    assert "confirm-pin" not in stored
    assert "9173" not in stored and PIN not in stored


def test_a_step_4_showing_a_pricing_error_signs_nothing_and_says_why(client, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    shown = _walk_to_confirm(client, source, destination, amount="500,00")
    # The balance falls; a wrong PIN shows step 4 again, now with the pricing error.
    cash_withdrawal(account=source, amount=Decimal("900.00"))
    again = _step(client, "confirm", {"pin": "9173"}, idempotency_key=_key(shown))
    assert "saldo suficiente" in again.content.decode()
    assert "Ingrese el PIN" not in again.content.decode()
    # The signature posted anyway (a script, or the older page) signs nothing and says why.
    response = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(shown))
    assert response.status_code == 200
    assert "saldo suficiente" in response.content.decode()
    assert Transfer.objects.count() == 0
    assert not AuditEvent.objects.filter(event="signature.verified").exists()
