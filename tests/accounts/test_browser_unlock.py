"""Staff unlock a locked member in the admin, as the clerk would: password, OTP code, filter,
action — in Chromium, by label."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from audit.models import AuditEvent
from tests.browser_fixtures import admin_browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _lock_by_three_failures(page, username):
    for _ in range(3):
        page.goto("/ingresar/")
        page.get_by_label("Usuario").fill(username)
        page.get_by_label("Contraseña").fill("Equivocada99")
        page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("alert")).to_contain_text("Auxiliar de Atención al Socio")


def test_clerk_unlocks_a_locked_member_in_the_admin(
    browser_page, live_server, member_user, staff_user
):
    page = browser_page
    _lock_by_three_failures(page, "socio1")
    member_user.refresh_from_db()
    assert member_user.locked_at is not None

    # One form: username, password and the authenticator's code (accounts.admin_login).
    admin_browser_login(page, live_server.url, "clerk", "Auxiliar2026")
    expect(page.get_by_role("link", name=re.compile("Usuarios"))).to_be_visible()

    page.goto("/admin/accounts/user/")
    page.get_by_role("link", name="Bloqueado", exact=True).click()
    row = page.get_by_role("row").filter(has_text="socio1")
    row.get_by_role("checkbox").check()
    page.get_by_label(re.compile("Acción")).select_option(
        label="Desbloquear los usuarios seleccionados"
    )
    page.get_by_role("button", name=re.compile("Ir")).click()
    expect(page.get_by_text("1 usuario(s) desbloqueado(s).")).to_be_visible()

    member_user.refresh_from_db()
    assert member_user.locked_at is None
    assert AuditEvent.objects.filter(event="user.unlocked", actor=staff_user).exists()

    # The member can sign in again.
    page.goto("/ingresar/")
    page.context.clear_cookies()
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("socio1")
    page.get_by_label("Contraseña").fill("Cancionero45")
    page.get_by_role("button", name="Confirmar").click()
    page.wait_for_url(re.compile(r"/cuentas/"))
    assert User.objects.get(pk=member_user.pk).failed_login_count == 0
