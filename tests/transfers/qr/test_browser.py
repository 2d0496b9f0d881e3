"""Cobrar con QR / Pagar con QR in Chromium, by the labels members read."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from beneficiaries.models import Bank
from ledger.invariants import ledger_breaches
from notices.models import Notice, NoticeKind
from transfers.models import InterbankOrder, Transfer, TransferStatus
from transfers.qr import emv

from .helpers import PIN, member_with_account

pytestmark = pytest.mark.browser
PASSWORD = "Clave1234"


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()


def _menu(page: Page, entry: str) -> None:
    menu = page.get_by_role("navigation", name="Menú principal")
    menu.get_by_text("Transferencias", exact=True).click()
    menu.get_by_role("link", name=entry).click()


def _pay_through_wizard(page: Page, source) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Paso 1 de 4: Seleccionar tipo y cuenta origen"
    )
    page.get_by_role("radio", name=re.compile(re.escape(source.number))).check()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Paso 2 de 4: Seleccionar cuenta destino"
    )
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Paso 3 de 4: Ingrese los datos")
    expect(page.get_by_label("Monto")).to_be_disabled()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        "Paso 4 de 4: Confirmación de la transferencia"
    )
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comprobante de transferencia")


def test_a_collects_and_b_pays_the_png(transactional_db, new_page, live_server, tmp_path):
    ana, ana_account = member_with_account("Ana", balance="10")
    beto, beto_account = member_with_account("Beto", balance="100")
    page_a = new_page()
    _log_in(page_a, live_server.url, "ana")
    _menu(page_a, "Cobrar con QR")
    page_a.get_by_label("Monto").fill("35,50")
    page_a.get_by_label("Glosa").fill("Almuerzo")
    page_a.get_by_role("button", name="Crear código QR").click()
    expect(page_a.locator("svg.qr-svg")).to_be_visible()
    with page_a.expect_download() as download:
        page_a.get_by_role("link", name="Descargar PNG").click()
    png = tmp_path / "cobro.png"
    download.value.save_as(png)

    page_b = new_page()
    _log_in(page_b, live_server.url, "beto")
    _menu(page_b, "Pagar con QR")
    page_b.get_by_label("Imagen del QR").set_input_files(str(png))
    page_b.get_by_role("button", name="Leer código QR").click()
    _pay_through_wizard(page_b, beto_account)

    ana_account.refresh_from_db()
    assert ana_account.balance == Decimal("45.50")
    assert Transfer.objects.get().qr_code is not None
    page_a.reload()
    expect(page_a.get_by_text("Ya pagado", exact=True)).to_be_visible()
    # A is told in the notice centre (issue 16): the money-received notice, sender masked.
    notice = Notice.objects.get(user__username="ana", kind=NoticeKind.MONEY_RECEIVED)
    assert "35,50" in notice.body
    page_a.goto(f"{live_server.url}/avisos/")
    expect(page_a.get_by_text("Bs 35,50", exact=False).first).to_be_visible()
    assert ledger_breaches() == []


def test_another_banks_code_goes_out_through_the_ach(transactional_db, new_page, live_server):
    from transfers.ach import SimulatedClearingHouse
    from transfers.interbank import interbank_order_process

    beto, beto_account = member_with_account("Beto", balance="100")
    text = emv.encode(
        emv.QrPayload(
            currency="BOB",
            merchant_name="Tienda Dona Rosa",
            merchant_city="El Alto",
            bank_code=Bank.objects.get(code="BNB").code,
            account_number="1234567890",
            amount=Decimal("20.00"),
            reference="Pan",
        )
    )
    SimulatedClearingHouse.reset()
    page = new_page()
    _log_in(page, live_server.url, "beto")
    _menu(page, "Pagar con QR")
    page.get_by_label("Texto del QR").fill(text)
    page.get_by_role("button", name="Leer código QR").click()
    _pay_through_wizard(page, beto_account)
    transfer = Transfer.objects.get()
    assert transfer.status == TransferStatus.SENT and transfer.destination_number == "1234567890"
    order = InterbankOrder.objects.get(transfer=transfer)
    interbank_order_process(order_id=order.pk)  # a no-op if the relay already submitted it
    order.refresh_from_db()
    assert order.status != InterbankOrder.Status.PENDING
    assert order.idempotency_reference in SimulatedClearingHouse.accepted
