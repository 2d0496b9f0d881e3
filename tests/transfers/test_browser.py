"""Each transfer wizard end to end in Chromium, found by the labels the member reads."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.services.pin import pin_set
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.invariants import ledger_breaches
from tests.browser_fixtures import menu_open
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_beneficiary_register_member,
    signed_beneficiary_register_other_bank,
)
from transfers.models import Transfer

pytestmark = pytest.mark.browser

PIN = "4826"
PASSWORD = "Clave1234"


@pytest.fixture
def maria(transactional_db):
    member = make_member(document_number="4871236", email="maria@example.com")
    user = make_user(member=member, username="maria", password=PASSWORD, email=member.email)
    pin_set(user=user, pin=PIN, notify=False)
    return user


def _aged(product):
    ThirdPartyProduct.objects.filter(pk=product.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    return product


def log_in(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Usuario").fill("maria")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()


def open_from_menu(page: Page, entry: str) -> None:
    menu_open(page)
    menu = page.get_by_role("navigation", name="Menú principal")
    menu.get_by_text("Transferencias", exact=True).click()
    menu.get_by_role("link", name=entry).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Paso 1 de 4: Seleccionar tipo y cuenta origen"
    )


def fill_data_and_sign(page: Page, amount: str, description: str) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text("Paso 3 de 4: Ingrese los datos")
    page.get_by_label("Monto").fill(amount)
    page.get_by_label("Descripción").fill(description)
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        "Paso 4 de 4: Confirmación de la transferencia"
    )
    expect(page.get_by_text("Ingrese el PIN para confirmar la transacción")).to_be_visible()
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comprobante de transferencia")


def choose_source(page: Page, source) -> None:
    # The radio reads "Caja de Ahorros X000X-001 Bs 1.000,00".
    page.get_by_role("radio", name=re.compile(re.escape(source.number))).check()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Paso 2 de 4: Seleccionar cuenta destino"
    )


def test_own_accounts_wizard(page: Page, maria):
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    log_in(page)
    open_from_menu(page, "Entre mis cuentas")
    choose_source(page, source)
    page.get_by_label(re.compile(re.escape(destination.number))).check()
    page.get_by_role("button", name="Siguiente").click()
    fill_data_and_sign(page, "250,50", "Ahorro mensual")
    expect(page.get_by_text("Bs 250,50").first).to_be_visible()
    destination.refresh_from_db()
    assert destination.balance == Decimal("250.50")
    assert ledger_breaches() == []


def test_third_party_wizard_to_a_registered_product(page: Page, maria):
    source = make_account(member=maria.member, balance="1000")
    silvia = make_member(first_names="Silvia", last_names="Ferrufino Fernández")
    target = make_account(member=silvia)
    _aged(
        signed_beneficiary_register_member(
            owner=maria.member, actor=None, number=target.number, alias="Sara"
        )
    )
    log_in(page)
    open_from_menu(page, "A cuenta de terceros")
    choose_source(page, source)
    expect(page.get_by_role("link", name="Agregar una nueva cuenta")).to_be_visible()
    page.get_by_label(re.compile("Silvia F\\*\\*\\* F\\*\\*\\* — Sara")).check()
    page.get_by_role("button", name="Siguiente").click()
    fill_data_and_sign(page, "300", "Pago de alquiler")
    transfer = Transfer.objects.get()
    assert transfer.beneficiary.alias == "Sara"
    target.refresh_from_db()
    assert target.balance == Decimal("300.00")
    assert ledger_breaches() == []


def test_enter_in_the_account_number_means_next_not_search(page: Page, maria):
    source = make_account(member=maria.member, balance="1000")
    silvia = make_member(first_names="Silvia", last_names="Ferrufino Fernández")
    target = make_account(member=silvia)
    log_in(page)
    open_from_menu(page, "A cuenta de terceros")
    choose_source(page, source)
    page.get_by_label("Número de cuenta").fill(target.number)
    page.get_by_label("Número de cuenta").press("Enter")
    # "Siguiente" looks the number up on its way (counted like "Buscar") and moves on.
    expect(page.get_by_role("heading", level=2)).to_have_text("Paso 3 de 4: Ingrese los datos")


def test_other_bank_wizard_to_a_registered_product(page: Page, maria):
    source = make_account(member=maria.member, balance="1000")
    _aged(
        signed_beneficiary_register_other_bank(
            owner=maria.member,
            actor=None,
            bank_id=Bank.objects.get(code="BUN").pk,
            product_type="checking",
            currency="BOB",
            number="1234567538",
            holder_name="Silvia Ferrufino Fernandez",
            document_type="CI",
            document_number="3344556",
            alias="Consultora",
        )
    )
    log_in(page)
    open_from_menu(page, "A otros bancos")
    choose_source(page, source)
    page.get_by_label(re.compile("Consultora — X000X-538 — BOB")).check()
    page.get_by_role("button", name="Siguiente").click()
    fill_data_and_sign(page, "500", "Pago de servicios")
    transfer = Transfer.objects.get()
    assert transfer.destination_bank.code == "BUN"
    assert transfer.fee_amount == Decimal("5.00")
    source.refresh_from_db()
    assert source.balance == Decimal("495.00")
    assert ledger_breaches() == []
