"""A demo member logs in and reads "Mis cuentas" in Chromium, the way she reads the screen."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_demo_member_logs_in_and_reads_her_accounts(page: Page):
    call_command("demo_load")

    page.goto("/")
    page.get_by_label("Usuario").fill("mperez")
    page.get_by_label("Contraseña").fill("Progreso2026")
    page.get_by_role("button", name="Confirmar").click()

    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Cuentas de ahorro y su saldo disponible")
    expect(table.get_by_role("columnheader", name="Saldo disponible")).to_be_visible()
    row = table.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("1011000136"))
    )
    expect(row).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(
        row.get_by_role("cell", name=re.compile(r"^Bs \d{1,3}(\.\d{3})*,\d{2}$"))
    ).to_be_in_viewport()
    expect(table.get_by_role("cell", name=re.compile(r"^\$us "))).to_be_visible()

    # The statement is one click away and shows the same account.
    row.get_by_role("link", name=re.compile("Ver movimientos")).click()
    expect(page.get_by_role("heading", name="Caja de Ahorros 1011000136")).to_be_visible()
    expect(page.get_by_label("Desde")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Movimientos"))).to_be_visible()
    # On a 375 px phone the page itself never scrolls sideways; only the table may.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
