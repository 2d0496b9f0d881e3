"""A member changes their PIN from "Configuración personal" in Chromium, by label."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services.pin import pin_check
from outbox.models import OutboxMessage
from tests.browser_fixtures import menu_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_sets_a_pin_from_personal_settings(browser_page, member_user):
    page = browser_page
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("socio1")
    page.get_by_label("Contraseña").fill("Cancionero45")
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(re.compile(r"/cuentas/"))

    menu_open(page)
    page.locator("summary", has_text="Hola").click()  # the user menu
    page.get_by_role("link", name="Cambiar PIN").click()
    page.get_by_label("Contraseña actual").fill("Cancionero45")
    page.get_by_label("Nuevo PIN").fill("1234")
    page.get_by_label("Confirme su PIN").fill("1234")
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text(re.compile("demasiado fácil de adivinar"))).to_be_visible()

    page.get_by_label("Contraseña actual").fill("Cancionero45")
    page.get_by_label("Nuevo PIN").fill("5820")
    page.get_by_label("Confirme su PIN").fill("5820")
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Configuración personal")).to_be_visible()
    expect(page.get_by_text(re.compile("¡Listo! Sus datos han sido modificados"))).to_be_visible()
    assert pin_check(user=member_user, pin="5820")
    assert OutboxMessage.objects.filter(recipient=member_user.member.email).count() == 1
