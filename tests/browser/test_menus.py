"""The header's menus as a member uses them: on a phone the guide's three-bar "Menú" button,
on a desktop a menu bar; with JavaScript a menu closes on Esc and on a click outside
(static/js/menus.js). Without JavaScript they open and close with their own buttons
(tests/browser/test_no_javascript.py walks a flow through them)."""

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from demo.data import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def _login(page: Page) -> None:
    call_command("demo_load")
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("mperez")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Mis cuentas", level=1)).to_be_visible()


def test_on_a_phone_the_menu_is_the_three_bar_button(page: Page):
    _login(page)
    main_menu = page.get_by_role("navigation", name="Menú principal")
    button = page.locator(".site-nav > summary")
    expect(button).to_have_accessible_name("Menú")
    expect(button).to_be_visible()
    expect(main_menu).to_be_hidden()  # nothing of the menu shows until it is pressed
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    button.click()
    expect(main_menu).to_be_visible()
    main_menu.get_by_text("Transferencias", exact=True).click()
    expect(main_menu.get_by_role("link", name="Entre mis cuentas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Esc closes the innermost menu holding the focus, then the three-bar menu itself.
    main_menu.get_by_role("link", name="Entre mis cuentas").focus()
    page.keyboard.press("Escape")
    expect(main_menu.get_by_role("link", name="Entre mis cuentas")).to_be_hidden()
    expect(main_menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(main_menu).to_be_hidden()
    expect(button).to_be_focused()

    # A tap outside closes it too.
    button.click()
    expect(main_menu).to_be_visible()
    page.locator(".site-footer").click()
    expect(main_menu).to_be_hidden()


def test_on_a_desktop_menus_close_on_esc_on_a_click_outside_and_on_another_menu(
    browser_page: Page,
):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    _login(page)
    expect(page.locator(".site-nav > summary")).to_be_hidden()
    main_menu = page.get_by_role("navigation", name="Menú principal")
    transfers = main_menu.get_by_text("Transferencias", exact=True)
    own = main_menu.get_by_role("link", name="Entre mis cuentas")

    transfers.click()
    expect(own).to_be_visible()
    page.keyboard.press("Escape")
    expect(own).to_be_hidden()
    expect(transfers).to_be_focused()

    transfers.click()
    expect(own).to_be_visible()
    page.locator(".site-footer").click()
    expect(own).to_be_hidden()

    transfers.click()
    main_menu.get_by_text("Préstamos", exact=True).click()
    expect(own).to_be_hidden()
    expect(main_menu.get_by_role("link", name="Mis préstamos")).to_be_visible()
