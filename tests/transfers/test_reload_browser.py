"""A reload of a wizard step keeps what was typed (issue 14, item 9), in Chromium."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import make_account

from .test_browser import PIN, choose_source, log_in, maria, open_from_menu  # noqa: F401

pytestmark = pytest.mark.browser

STEP_3 = "Paso 3 de 4: Ingrese los datos"
STEP_4 = "Paso 4 de 4: Confirmación de la transferencia"


def _heading(page: Page):
    return page.get_by_role("heading", level=2).first


def test_reloading_steps_3_and_4_keeps_the_amount_and_description(page: Page, maria):  # noqa: F811
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    log_in(page)
    open_from_menu(page, "Entre mis cuentas")
    choose_source(page, source)
    page.get_by_label(re.compile(re.escape(destination.number))).check()
    page.get_by_role("button", name="Siguiente").click()
    expect(_heading(page)).to_have_text(STEP_3)
    wizard_url = page.url

    # Step 3 opened again (F5 after a redirect, the address bar, the menu): steps 1-2 kept.
    page.goto(wizard_url)
    expect(_heading(page)).to_have_text(STEP_3)
    page.get_by_label("Monto").fill("250,50")
    page.get_by_label("Descripción").fill("Ahorro mensual")
    page.get_by_role("button", name="Siguiente").click()
    expect(_heading(page)).to_have_text(STEP_4)

    # Step 4 opened again: the same summary, with the member's own account in full.
    page.goto(wizard_url)
    expect(_heading(page)).to_have_text(STEP_4)
    expect(page.get_by_text("Bs 250,50").first).to_be_visible()
    expect(page.get_by_text("Ahorro mensual")).to_be_visible()
    expect(page.get_by_text(destination.number)).to_be_visible()

    # "Anterior" to step 3, then open it again: what was typed is in the boxes.
    page.get_by_role("button", name="Anterior").click()
    expect(_heading(page)).to_have_text(STEP_3)
    page.goto(wizard_url)
    expect(_heading(page)).to_have_text(STEP_3)
    expect(page.get_by_label("Monto")).to_have_value("250,50")
    expect(page.get_by_label("Descripción")).to_have_value("Ahorro mensual")

    # "?nueva=1" starts a new transfer.
    page.goto(wizard_url + "?nueva=1")
    expect(_heading(page)).to_have_text("Paso 1 de 4: Seleccionar tipo y cuenta origen")
