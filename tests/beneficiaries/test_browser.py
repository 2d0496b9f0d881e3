"""Both registration paths in Chromium, the way a member reads the screen (roles and labels)."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from beneficiaries.models import ThirdPartyProduct
from tests.beneficiaries.conftest import SIGN_PIN
from tests.browser_fixtures import menu_open
from tests.factories import signed_beneficiary_register_other_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("Usuario").fill("socio1")
    page.get_by_label("Contraseña").fill("Cancionero45")
    page.get_by_role("button", name="Confirmar").click()


def _open_list(page):
    menu_open(page)
    page.get_by_text("Administración").click()
    page.get_by_role("link", name="Producto de terceros").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Producto de terceros")


def test_register_member_account_and_other_bank(
    page, live_server, member, member_user, silvia_account, bank_union
):
    _login(page, live_server)
    _open_list(page)

    # "a cuenta de terceros": Buscar runs in place (fetch), then alias and signature.
    page.get_by_role("link", name="Agregar").click()
    page.get_by_label("a cuenta de terceros").check()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_label("Tipo de producto")).to_have_value("savings")
    expect(page.get_by_label("Tipo de producto").locator("option:checked")).to_have_text(
        "Cuenta de Ahorros"
    )
    page.get_by_label("Número de cuenta").fill(silvia_account.number)
    with page.expect_response(re.compile(r"/buscar/$")) as lookup:
        page.get_by_role("button", name="Buscar").click()
    assert lookup.value.status == 200
    expect(page.get_by_role("status")).to_have_text("Titular de la cuenta: Silvia F*** F***")
    page.get_by_label("Alias").fill("Silvia")
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", name="Firma")).to_be_visible()
    page.get_by_label("PIN").fill(SIGN_PIN)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("status").first).to_have_text("El producto quedó registrado.")
    row = page.get_by_role("row", name=re.compile("Silvia F\\*\\*\\* F\\*\\*\\*"))
    expect(row).to_contain_text(silvia_account.masked_number)

    # "a otros bancos": every field of the guide's screen, then the signature.
    page.get_by_role("link", name="Agregar").click()
    page.get_by_label("a otros bancos").check()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", name="Datos del producto de terceros")).to_be_visible()
    page.get_by_label("Tipo de producto").select_option(label="Cuenta corriente")
    page.get_by_label("Moneda").select_option(label="Bolivianos")
    page.get_by_label("Número de producto").fill("0100123456")
    page.get_by_label("Nombre del beneficiario").fill("Consultora Silvia")
    page.get_by_label("Tipo de documento").select_option(label="NIT")
    page.get_by_label("Número de identificación del beneficiario").fill("1023456027")
    page.get_by_label("Banco").select_option(label="Banco Unión S.A.")
    page.get_by_label("Correo electrónico del beneficiario").fill("pagos@example.com")
    page.get_by_label("Alias").fill("Sara")
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_role("heading", name="Firma")).to_be_visible()
    page.get_by_label("PIN").fill(SIGN_PIN)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("row", name=re.compile("Sara"))).to_contain_text("Banco Unión S.A.")

    products = ThirdPartyProduct.objects.filter(owner=member).order_by("pk")
    assert [(p.kind, p.alias, p.number) for p in products] == [
        ("member", "Silvia", silvia_account.number),
        ("other_bank", "Sara", "0100123456"),
    ]


def test_previous_goes_back_and_delete_asks_first(
    page, live_server, member, member_user, bank_union
):

    signed_beneficiary_register_other_bank(
        owner=member,
        actor=None,
        bank_id=bank_union.pk,
        product_type="savings",
        currency="USD",
        number="0100123456",
        holder_name="Consultora Silvia",
        document_type="NIT",
        document_number="1023456027",
        alias="Sara",
    )
    _login(page, live_server)
    _open_list(page)
    page.get_by_role("link", name="Agregar").click()
    page.get_by_label("a otros bancos").check()
    page.get_by_role("button", name="Siguiente").click()
    page.get_by_role("link", name="Anterior").click()
    expect(page.get_by_label("a otros bancos")).to_be_checked()
    page.get_by_role("link", name="Anterior").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Producto de terceros")
    page.get_by_role("link", name="Eliminar Sara").click()
    expect(page.get_by_text("¿Desea eliminar «Sara»")).to_be_visible()
    page.get_by_label("PIN").fill(SIGN_PIN)  # deleting a product is signed, like adding one
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("status").first).to_have_text("El producto fue eliminado.")
    expect(page.get_by_text("Todavía no registró ningún producto de terceros.")).to_be_visible()
    assert ThirdPartyProduct.objects.get(owner=member).deleted_at is not None
