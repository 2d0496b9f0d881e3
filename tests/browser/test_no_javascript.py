"""The main flows with JavaScript switched off in Chromium: no page needs it to complete.

Scripts only enhance (the in-place "Buscar", the idle-timeout notice); with them off, every
button is a plain form post and the flows still reach their receipts.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import RegistrationRequest
from accounts.registration.ratelimit import rate_limit_reset
from accounts.services.pin import pin_check
from beneficiaries.models import ThirdPartyProduct
from demo.data import DEMO_PASSWORD, DEMO_PIN, demo_load
from ledger.invariants import ledger_breaches
from ledger.models import Account
from loans.models import InstalmentStatus, Loan, LoanPayment
from tests.accounts.registration_helpers import PERSON, person_step_fill
from tests.browser_fixtures import menu_open
from tests.factories import make_member
from transfers.models import Transfer, TransferType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="es-BO",
        viewport={"width": 375, "height": 740},
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def _scripts_are_off(page: Page) -> None:
    # With JavaScript on, the inline script would rewrite the paragraph.
    page.set_content(
        '<p id="x">off</p><script>document.getElementById("x").textContent = "on"</script>'
    )
    expect(page.locator("#x")).to_have_text("off")


def _next(page: Page) -> None:
    page.get_by_role("button", name="Siguiente").click()


def _sign(page: Page, pin: str = DEMO_PIN) -> None:
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Confirmar").click()


def test_member_flows_without_javascript(no_js_page: Page, settings):
    demo_load()
    page = no_js_page
    _scripts_are_off(page)
    savings = Account.objects.get(number="1011000136")
    dollars = Account.objects.get(number="2011000393")

    # Sign in.
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("mperez")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()

    # The menu is <details>: it opens without a script.
    menu_open(page)
    menu = page.get_by_role("navigation", name="Menú principal")
    menu.get_by_text("Transferencias", exact=True).click()
    menu.get_by_role("link", name="Entre mis cuentas").click()

    # Entre mis cuentas, BOB to USD, signed with the PIN, to the receipt.
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    page.get_by_label(re.compile("2011000393")).check()
    _next(page)
    page.get_by_label("Monto").fill("100")
    page.get_by_label("Descripción").fill("Ahorro en dólares")
    _next(page)
    expect(page.get_by_role("heading", level=2).first).to_have_text(
        "Paso 4 de 4: Confirmación de la transferencia"
    )
    _sign(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Comprobante de transferencia")
    own = Transfer.objects.get(transfer_type=TransferType.OWN)
    assert own.destination_account_id == dollars.pk and own.amount == Decimal("100.00")

    # A cuenta de terceros: a typed number, "Buscar" as a plain post, then the transfer.
    page.goto("/transferencias/a-cuenta-de-terceros/")
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    page.get_by_label("Número de cuenta").fill("1011000784")
    with page.expect_navigation():
        page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("status")).to_contain_text("Silvia F*** F***")
    _next(page)
    page.get_by_label("Monto").fill("50")
    page.get_by_label("Descripción").fill("Pago de alquiler")
    _next(page)
    _sign(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Comprobante de transferencia")
    third = Transfer.objects.get(transfer_type=TransferType.THIRD_PARTY)
    assert third.destination_account.number == "1011000784"

    # Producto de terceros → Agregar: "Buscar" posts the whole form and the page says who
    # holds the account.
    page.goto("/administracion/productos-de-terceros/")
    page.get_by_role("link", name="Agregar").click()
    page.get_by_label("a cuenta de terceros").check()
    _next(page)
    page.get_by_label("Número de cuenta").fill("1011000784")
    with page.expect_navigation():
        page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("status")).to_have_text("Titular de la cuenta: Silvia F*** F***")
    page.get_by_label("Alias").fill("Silvia")
    _next(page)
    _sign(page)
    expect(page.get_by_role("status").first).to_have_text("El producto quedó registrado.")
    assert ThirdPartyProduct.objects.filter(alias="Silvia", number="1011000784").exists()

    # Pay the overdue instalment of the loan.
    loan = Loan.objects.get(member__document_number="4871236")
    page.goto(f"/prestamos/{loan.pk}/")
    page.get_by_role("link", name="Pagar cuotas").click()
    page.get_by_label("Cuotas seleccionadas").check()
    page.get_by_label(re.compile(r"^Cuota 1 —")).check()
    page.get_by_role("radio", name=re.compile(loan.account.number)).check()
    _next(page)
    _sign(page)
    expect(page.get_by_role("heading", name="Comprobante de pago")).to_be_visible()
    assert LoanPayment.objects.filter(loan=loan).count() == 1
    assert loan.instalments.get(number=1).status == InstalmentStatus.PAID

    # The statement filter is a GET form.
    day = timezone.localdate(own.created_at).isoformat()
    page.goto(f"/cuentas/{savings.pk}/")
    page.get_by_label("Desde").fill(day)
    page.get_by_role("button", name="Filtrar").click()
    assert f"date_from={day}" in page.url
    movements = page.get_by_role("table", name=re.compile("Movimientos"))
    expect(movements).to_contain_text("Ahorro en dólares")
    expect(movements).not_to_contain_text("Apertura de cuenta")

    # Configuración personal → Cambiar PIN.
    page.goto("/configuracion/")
    page.get_by_role("link", name="Cambiar PIN").click()
    page.get_by_label("PIN actual").fill(DEMO_PIN)  # the PIN only (issue 12)
    page.get_by_label("Nuevo PIN").fill("5820")
    page.get_by_label("Confirme su PIN").fill("5820")
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text(re.compile("¡Listo! Sus datos han sido modificados"))).to_be_visible()
    assert pin_check(user=loan.member.user, pin="5820")
    assert ledger_breaches() == []


def test_registration_without_javascript(no_js_page: Page, settings):
    settings.REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
    for scope in ("data", "submit"):
        rate_limit_reset(scope=scope, ip="127.0.0.1")
    make_member(
        document_number=PERSON["document_number"],
        first_names="Silvia",
        last_names="Ferrufino Fernández",
        email=PERSON["email"],
    )
    page = no_js_page
    page.goto("/ingresar/")
    page.get_by_role("link", name="Regístrese").click()
    page.get_by_role("button", name="Persona").click()
    page.get_by_label("Acepto").check()
    _next(page)
    person_step_fill(page)
    _next(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paso 4 de 4")
    page.get_by_label("No soy un robot").check()
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "El registro efectuado está en proceso de aprobación"
    )
    assert RegistrationRequest.objects.get().username == PERSON["username"]
