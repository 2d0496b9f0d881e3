"""Every member page and the main admin pages in Chromium, checked by axe-core.

One walk per screen width, in three browser contexts: as an anonymous visitor (login, the
registration wizard and its email links), as the demo member mperez (every page of the
menu, every step of every wizard, the receipts, a pending co-signature) and as the branch
clerk in the OTP-protected admin (index, the changelist and a change form of every model
the clerk may view, the approval flow, the branch window). axe must find no violation of
impact serious or critical. With screenshots on, each page is saved as
``bench/out/screens/<slug>-<width>.png``.

The member pages come from the URL resolver: a named URL that is neither walked nor listed
in ``NOT_WALKED`` with its reason fails the test, so a new page cannot be forgotten.

Every page is also checked for what axe does not see (``layout.js``): wider than the screen,
money cut off or broken over two lines, text over text. ``make test`` checks the layout at 375
and 1280 px and runs axe at 375 px, without screenshots; ``make screens`` (A11Y_SCREENS=1)
checks the layout at 320, 375, 768, 1280 and 1920 px, runs axe at 375 and 1280 px, and writes
the screenshots and each page's HTML (for the Nu HTML Checker, ``bench/vnu.py``).
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import RegistrationRequest, User
from accounts.registration.ratelimit import rate_limit_reset
from demo.data import DEMO_PASSWORD, DEMO_PIN, STAFF_PASSWORD, STAFF_USERNAME, demo_load
from ledger.models import Account
from loans.models import Loan
from outbox.models import OutboxMessage
from tests.accounts.registration_helpers import PERSON, link_in, person_step_fill
from tests.browser.a11y import HEIGHT, Walk, record_documents, url_names
from tests.browser_fixtures import admin_browser_login
from tests.factories import signed_transfer_execute
from transfers.models import TransferType
from transfers.qr.services import qr_code_create
from transfers.services import TransferOrder, transfer_prepare

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Named URLs that have no page of their own to check, and why.
NOT_WALKED = {
    "accounts:logout": "POST only (the menu's button); it redirects to the login page",
    "accounts:keepalive": "JSON for the idle-timeout script, not a page",
    "accounts:session_close": "POST only; it redirects to Configuración personal",
    "accounts:email_confirm": "acts on the link and redirects to Configuración personal",
    "beneficiaries:lookup": "JSON for the in-place Buscar (POST only), not a page",
    "ledger:account_statement_csv": "a CSV download",
    "ledger:account_statement_pdf": "a PDF download",
    "loans:statement_csv": "a CSV download",
    "loans:receipt_pdf": "a PDF download",
    "loans:statement_pdf": "a PDF download",
    "transfers:receipt_pdf": "a PDF download",
    "transfers:qr_png": "a PNG download",
    "transfers:qr_revoke": "POST only (the code page's button); it redirects to the code page",
    "notices:mark_read": "POST only (the Avisos page's button); it redirects to Avisos",
    "transfers:scheduled_pause": "POST only (the order page's button); it redirects to the order",
    "transfers:scheduled_cancel": "POST only (the order page's button); it redirects to the order",
}


@pytest.fixture
def demo(transactional_db, settings):
    """The demo data, plus what makes every page non-empty: a transfer that waits for
    mperez's co-signature (jgomez's joint account) and a clean registration rate limit."""
    # The development stand-in for reCAPTCHA: the same "No soy un robot" label, no network.
    settings.REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
    demo_load()
    for scope in ("data", "submit"):
        rate_limit_reset(scope=scope, ip="127.0.0.1")
    jgomez = User.objects.get(username="jgomez")
    joint = Account.objects.get(number="1011000512")
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=joint.pk,
        destination_account_id=Account.objects.get(number="1011000245").pk,
        currency="BOB",
        amount=Decimal("150.00"),
        description="Pago compartido",
    )
    quote = transfer_prepare(user=jgomez, order=order)
    signed_transfer_execute(
        user=jgomez,
        order=order,
        expected_fingerprint=quote.fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )
    return User.objects.get(username="mperez")


def _next(page: Page) -> None:
    page.get_by_role("button", name="Siguiente").click()


def walk_anonymous(page: Page, walk: Walk) -> None:
    page.goto(reverse("accounts:login"))
    walk.check(page, "login")
    page.get_by_label("Usuario").fill("mperez")
    page.get_by_label("Contraseña").fill("Equivocada1")
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("alert")).to_be_visible()
    walk.check(page, "login-error")
    page.goto(reverse("accounts:session_expired"))
    walk.check(page, "session-expired")
    page.goto("/no-existe/")
    walk.check(page, "not-found")

    # Registration: the company's data step, then the whole path of a person.
    page.goto(reverse("accounts:registration"))
    walk.check(page, "registration-kind")
    page.get_by_role("button", name="Empresa").click()
    walk.check(page, "registration-terms")
    page.get_by_label("Acepto").check()
    _next(page)
    expect(page.get_by_label("Razón social")).to_be_visible()
    walk.check(page, "registration-company")
    page.goto(reverse("accounts:registration"))
    page.get_by_role("button", name="Persona").click()
    page.get_by_label("Acepto").check()
    _next(page)
    walk.check(page, "registration-person")
    _next(page)  # empty: every field says what is missing
    walk.check(page, "registration-person-errors")
    person_step_fill(page)
    _next(page)
    walk.check(page, "registration-review")
    page.get_by_label("No soy un robot").check()
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "El registro efectuado está en proceso de aprobación"
    )
    walk.check(page, "registration-submitted")

    message = OutboxMessage.objects.filter(recipient=PERSON["email"]).latest("pk")
    page.goto(link_in(message, "confirmar"))
    walk.check(page, "registration-confirm")
    page.get_by_role("button", name="Confirmar").click()
    walk.check(page, "registration-email-confirmed")
    page.goto(link_in(message, "confirmar"))  # used twice: the link problem page
    walk.check(page, "registration-link-problem")


def walk_set_password(page: Page, walk: Walk) -> None:
    """After the clerk's approval: the emailed set-password link, refused then accepted."""
    message = OutboxMessage.objects.filter(recipient=PERSON["email"]).latest("pk")
    page.goto(link_in(message, "contrasena"))
    walk.check(page, "password-set")
    page.get_by_label(re.compile("Nueva contraseña")).fill("cancionero")
    page.get_by_label("Repita la contraseña").fill("cancionero")
    page.get_by_role("button", name="Confirmar").click()
    walk.check(page, "password-set-errors")
    page.get_by_label(re.compile("Nueva contraseña")).fill("Cancionero45")
    page.get_by_label("Repita la contraseña").fill("Cancionero45")
    page.get_by_role("button", name="Confirmar").click()
    walk.check(page, "password-done")


def _sign(page: Page) -> None:
    page.get_by_label("PIN").fill(DEMO_PIN)
    page.get_by_role("button", name="Confirmar").click()


def walk_member(page: Page, walk: Walk) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_label("Usuario").fill("mperez")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()
    walk.check(page, "dashboard")
    # Open every menu (details/summary) so that their entries are checked too.
    page.locator("header details").evaluate_all("menus => menus.forEach(m => (m.open = true))")
    walk.check(page, "dashboard-menus-open")
    page.reload()

    savings = Account.objects.get(number="1011000136")
    dollars = Account.objects.get(number="2011000393")
    page.goto(reverse("ledger:account_detail", args=[savings.pk]))
    walk.check(page, "account-detail")
    page.get_by_label("Desde").fill("2026-01-01")
    page.get_by_label("Hasta").fill("2020-01-01")
    page.get_by_role("button", name="Filtrar").click()
    walk.check(page, "account-detail-filter-error")
    page.goto(reverse("ledger:account_detail", args=[dollars.pk]))
    walk.check(page, "account-detail-usd")

    # Entre mis cuentas, every step, to the receipt.
    page.goto(reverse("transfers:own"))
    walk.check(page, "transfer-own-1")
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    walk.check(page, "transfer-own-2")
    page.get_by_label(re.compile("2011000393")).check()
    _next(page)
    walk.check(page, "transfer-own-3")
    _next(page)  # nothing typed: the errors
    walk.check(page, "transfer-own-3-errors")
    page.get_by_label("Monto").fill("100")
    page.get_by_label("Descripción").fill("Ahorro en dólares")
    _next(page)
    walk.check(page, "transfer-own-4")
    page.get_by_label("PIN").fill("0000")
    page.get_by_role("button", name="Confirmar").click()
    walk.check(page, "transfer-own-4-wrong-pin")
    _sign(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Comprobante de transferencia")
    walk.check(page, "transfer-receipt")

    # A cuenta de terceros: a typed number and "Buscar".
    page.goto(reverse("transfers:third_party"))
    walk.check(page, "transfer-third-party-1")
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    walk.check(page, "transfer-third-party-2")
    page.get_by_label("Número de cuenta").fill("1011000784")
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("status")).to_contain_text("F***")
    walk.check(page, "transfer-third-party-2-found")
    _next(page)
    walk.check(page, "transfer-third-party-3")
    page.get_by_label("Monto").fill("50")
    page.get_by_label("Descripción").fill("Pago de alquiler")
    _next(page)
    walk.check(page, "transfer-third-party-4")

    # A otros bancos, to its confirmation.
    page.goto(reverse("transfers:other_bank"))
    walk.check(page, "transfer-other-bank-1")
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    walk.check(page, "transfer-other-bank-2")
    page.get_by_label(re.compile("Sara")).check()
    _next(page)
    walk.check(page, "transfer-other-bank-3")
    page.get_by_label("Monto").fill("80")
    page.get_by_label("Descripción").fill("Pago de servicios")
    _next(page)
    walk.check(page, "transfer-other-bank-4")

    page.goto(reverse("transfers:list"))
    walk.check(page, "transfer-list")
    waiting = page.locator("section", has=page.get_by_role("heading", name="Esperando su firma"))
    waiting.get_by_role("link").click()
    walk.check(page, "transfer-cosign")
    page.goto(reverse("transfers:limits"))
    walk.check(page, "transfer-limits")
    page.get_by_label("Tipo de transferencia").select_option(value=TransferType.OWN)
    page.get_by_label(re.compile("Mi límite diario")).fill("999999999")
    page.get_by_role("button", name="Guardar").click()
    walk.check(page, "transfer-limits-error")

    # Cobrar con QR: the form with an error, a code, the list; Pagar con QR to step 4.
    page.goto(reverse("transfers:qr_collect"))
    walk.check(page, "qr-collect")
    page.get_by_label("Reutilizable hasta una fecha").check()
    page.get_by_role("button", name="Crear código QR").click()
    walk.check(page, "qr-collect-error")
    page.get_by_label("Un solo uso").check()
    page.get_by_label("Monto").fill("35,50")
    page.get_by_label("Glosa").fill("Almuerzo")
    page.get_by_role("button", name="Crear código QR").click()
    walk.check(page, "qr-detail")
    page.goto(reverse("transfers:qr_pay"))
    walk.check(page, "qr-pay")
    page.get_by_label("Texto del QR").fill("hola")
    page.get_by_role("button", name="Leer código QR").click()
    walk.check(page, "qr-pay-error")
    mperez = User.objects.get(username="mperez")
    payee = (
        Account.objects.filter(kind=Account.Kind.MEMBER, currency="BOB", status="open")
        .exclude(holder_links__member_id=mperez.member_id)
        .filter(holder_links__member__user__isnull=False)
        .first()
    )
    code = qr_code_create(
        user=User.objects.filter(member__holder_links__account=payee).first(),
        account_id=payee.pk,
        amount=Decimal("12.00"),
        reference="Taxi",
        single_use=True,
        valid_until=None,
    )
    page.get_by_label("Texto del QR").fill(code.payload)
    page.get_by_role("button", name="Leer código QR").click()
    walk.check(page, "qr-pay-1")
    page.get_by_role("radio", name=re.compile(savings.number)).check()
    _next(page)
    walk.check(page, "qr-pay-2")
    _next(page)
    walk.check(page, "qr-pay-3")
    _next(page)
    walk.check(page, "qr-pay-4")

    # Producto de terceros: list, both kinds of add, the signature, edit, delete.
    page.goto(reverse("beneficiaries:list"))
    walk.check(page, "beneficiaries")
    page.get_by_role("link", name="Agregar").click()
    walk.check(page, "beneficiary-add")
    _next(page)  # no kind chosen
    walk.check(page, "beneficiary-add-error")
    page.get_by_label("a cuenta de terceros").check()
    _next(page)
    walk.check(page, "beneficiary-add-member")
    page.get_by_label("Número de cuenta").fill("1011000784")
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("status")).to_contain_text("F***")
    walk.check(page, "beneficiary-add-member-found")
    page.get_by_label("Alias").fill("Silvia")
    _next(page)
    walk.check(page, "beneficiary-sign")
    _sign(page)
    walk.check(page, "beneficiaries-added")
    page.goto(reverse("beneficiaries:add"))
    page.get_by_label("a otros bancos").check()
    _next(page)
    walk.check(page, "beneficiary-add-other-bank")
    _next(page)
    walk.check(page, "beneficiary-add-other-bank-errors")
    page.goto(reverse("beneficiaries:list"))
    page.get_by_role("link", name="Modificar Sara").click()
    walk.check(page, "beneficiary-edit")
    page.goto(reverse("beneficiaries:list"))
    page.get_by_role("link", name="Eliminar Sara").click()
    walk.check(page, "beneficiary-delete")

    # Préstamos: list, debts, detail, both payment steps and the receipt.
    loan = Loan.objects.get(member__document_number="4871236")
    page.goto(reverse("loans:list"))
    walk.check(page, "loans")
    page.goto(reverse("loans:debts"))
    walk.check(page, "loan-debts")
    page.goto(reverse("loans:detail", args=[loan.pk]))
    walk.check(page, "loan-detail")
    page.get_by_role("link", name="Pagar cuotas").click()
    walk.check(page, "loan-pay")
    page.get_by_label("Cuotas seleccionadas").check()
    page.get_by_label(re.compile(r"^Cuota 1 —")).check()
    page.get_by_role("radio", name=re.compile(loan.account.number)).check()
    _next(page)
    walk.check(page, "loan-pay-confirm")
    _sign(page)
    expect(page.get_by_role("heading", name="Comprobante de pago")).to_be_visible()
    walk.check(page, "loan-receipt")

    # Configuración personal and each of its pages.
    page.goto(reverse("accounts:settings"))
    walk.check(page, "settings")
    page.goto(reverse("accounts:password_change"))
    walk.check(page, "password-change")
    page.get_by_role("button", name="Confirmar").click()
    walk.check(page, "password-change-errors")
    page.goto(reverse("accounts:pin_change"))
    walk.check(page, "pin-change")
    page.goto(reverse("accounts:pin_reset"))
    walk.check(page, "pin-reset")
    page.goto(reverse("accounts:device_change"))
    walk.check(page, "device-change")
    page.goto(reverse("accounts:profile_change"))
    walk.check(page, "profile-change")
    page.goto(reverse("accounts:sms_token"))
    walk.check(page, "sms-token")

    # Avisos (issue 16): the notice centre and its preferences.
    page.goto(reverse("notices:list"))
    walk.check(page, "notices")
    page.goto(reverse("notices:preferences"))
    walk.check(page, "notice-preferences")

    # Transferencias programadas (issue 16): the list and one order's pages.
    from tests.security.test_access_matrix import _scheduled

    mperez = User.objects.get(username="mperez")
    order = _scheduled(
        mperez,
        Account.objects.get(number="1011000136"),
        Account.objects.get(number="1011000079"),
    )
    page.goto(reverse("transfers:scheduled_list"))
    walk.check(page, "scheduled-list")
    page.goto(reverse("transfers:scheduled_detail", args=[order.pk]))
    walk.check(page, "scheduled-detail")
    page.goto(reverse("transfers:scheduled_amend", args=[order.pk]))
    walk.check(page, "scheduled-amend")
    page.goto(reverse("transfers:scheduled_resume", args=[order.pk]))
    walk.check(page, "scheduled-resume")


def _clerk_view_models(clerk: User) -> list:
    request = RequestFactory().get("/admin/")
    request.user = clerk
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(request)
    ]


def walk_admin(page: Page, walk: Walk, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    walk.check(page, "admin-login")
    admin_browser_login(page, base_url, STAFF_USERNAME, STAFF_PASSWORD)
    walk.check(page, "admin-index")

    clerk = User.objects.get(username=STAFF_USERNAME)
    for model, _ in _clerk_view_models(clerk):
        meta = model._meta
        slug = f"admin-{meta.app_label}-{meta.model_name}"
        page.goto(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        walk.check(page, slug)
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            page.goto(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
            walk.check(page, f"{slug}-change")

    # The approval flow for the request registered in the anonymous walk.
    registration = RegistrationRequest.objects.get(document_number=PERSON["document_number"])
    page.goto(reverse("admin:accounts_registrationrequest_reject", args=[registration.pk]))
    walk.check(page, "admin-registration-reject")
    page.goto(reverse("admin:accounts_registrationrequest_approve", args=[registration.pk]))
    walk.check(page, "admin-registration-approve")
    page.get_by_role("button", name="Aprobar").click()
    walk.check(page, "admin-registration-approve-error")
    page.get_by_label("Verifiqué la identidad del solicitante").check()
    page.get_by_role("button", name="Aprobar").click()
    expect(page.get_by_text("Solicitud aprobada")).to_be_visible()
    walk.check(page, "admin-registration-approved")

    # The branch window ("ventanilla") on a member account.
    account = Account.objects.get(number="1011000136")
    page.goto(reverse("admin:ledger_account_cash", args=[account.pk]))
    walk.check(page, "admin-cash")
    page.get_by_role("button", name=re.compile("Registrar|Contabilizar|Post")).click()
    walk.check(page, "admin-cash-errors")


def test_every_page_reads_right_and_has_no_serious_accessibility_violation(
    browser, live_server, demo
):
    walk = Walk()
    base = live_server.url
    contexts = []

    def new_page() -> Page:
        context = browser.new_context(
            base_url=base, locale="es-BO", viewport={"width": walk.widths[0], "height": HEIGHT}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        record_documents(page)
        return page

    try:
        anonymous = new_page()
        walk_anonymous(anonymous, walk)
        walk_member(new_page(), walk)
        walk_admin(new_page(), walk, base)
        walk_set_password(anonymous, walk)
    finally:
        for context in contexts:
            context.close()

    member_urls = {name for name in url_names() if not name.startswith("admin:")}
    forgotten = member_urls - walk.visited - set(NOT_WALKED)
    assert not forgotten, f"member pages neither walked nor excluded: {sorted(forgotten)}"
    assert not set(NOT_WALKED) - member_urls, "NOT_WALKED names a URL that no longer exists"
    print(
        f"\n{len(walk.slugs)} pages walked; layout at {walk.widths} px, axe at "
        f"{sorted(walk.axe_at)} px; minor axe findings: {walk.minor}"
    )
    assert not walk.failures, "serious or critical axe violations:\n" + "\n".join(walk.failures)
    assert not walk.layout, f"{len(walk.layout)} layout problems a person would see:\n" + "\n".join(
        walk.layout
    )
