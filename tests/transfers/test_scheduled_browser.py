"""Creating, pausing and cancelling a scheduled transfer in Chromium, by the labels the
member reads."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser_fixtures import menu_open
from tests.factories import make_account
from transfers.models import ScheduledTransfer, Transfer

from .test_browser import PIN, choose_source, log_in, maria, open_from_menu  # noqa: F401

pytestmark = pytest.mark.browser


def test_schedule_pause_and_cancel(page: Page, maria):  # noqa: F811
    source = make_account(member=maria.member, balance="1000")
    destination = make_account(member=maria.member)
    log_in(page)
    open_from_menu(page, "Entre mis cuentas")
    choose_source(page, source)
    page.get_by_label(destination.number, exact=False).check()
    page.get_by_role("button", name="Siguiente").click()
    page.get_by_label("Monto").fill("120")
    page.get_by_label("Descripción").fill("Alquiler")
    page.get_by_role("button", name="Siguiente").click()
    page.get_by_role("button", name="Programar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programar la transferencia")
    page.get_by_role("radio", name="Cada mes").check()
    first = timezone.localdate() + timedelta(days=2)
    page.get_by_label("Primera fecha").fill(first.isoformat())
    page.get_by_label("Día del mes (mensual)").select_option(label="Último día")
    page.get_by_label("Número de veces").fill("6")
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferencia programada")
    expect(page.get_by_text("La transferencia fue programada.")).to_be_visible()
    expect(page.get_by_text("Cada mes el último día", exact=False)).to_be_visible()
    order = ScheduledTransfer.objects.get()
    assert not Transfer.objects.exists()
    page.get_by_role("button", name="Pausar").click()
    expect(page.get_by_text("La transferencia programada fue pausada.")).to_be_visible()
    page.get_by_role("button", name="Cancelar la transferencia programada").click()
    expect(page.get_by_text("La transferencia programada fue cancelada.")).to_be_visible()
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.CANCELLED
    # From the menu (behind the three-bar button on a phone), the list shows it.
    menu_open(page)
    menu = page.get_by_role("navigation", name="Menú principal")
    menu.get_by_text("Transferencias", exact=True).click()
    menu.get_by_role("link", name="Transferencias programadas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferencias programadas")
    expect(page.get_by_role("cell", name="Cancelada")).to_be_visible()
