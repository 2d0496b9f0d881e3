"""Shared Playwright fixtures: Debian's Chromium, headless, never ``playwright install``.

Registered once for the whole suite by ``pytest_plugins`` in ``tests/conftest.py``. One
Chromium process serves the session; each test gets a fresh context (cookies, storage), so
tests never share a login.
"""

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page (375 px, the narrowest screen the portal supports) whose relative
    URLs resolve against the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="es-BO", viewport={"width": 375, "height": 740}
    )
    # Fail in seconds, not the default 30, when a label or role is missing.
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A desktop-sized page whose relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server.url, locale="es-BO")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser):
    """Open pages in separate browser contexts (separate cookies: a member and a clerk)."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="es-BO", viewport={"width": 1024, "height": 900})
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def admin_browser_login(page, base_url: str, username: str, password: str) -> None:
    """Log a clerk into the OTP-protected Django admin, as the clerk would: username,
    password and the code of their authenticator in one form (accounts.admin_login; a TOTP
    device is created for them if they have none).
    """
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Teléfono", confirmed=True)
    code = f"{totp(device.bin_key):06d}"
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_label("Código de verificación").fill(code)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture
def admin_login():
    return admin_browser_login


def menu_open(page) -> None:
    """On a phone the header's menus sit behind the guide's three-bar button "Menú" (a
    <details>); press it first, as the guide tells members. On a desktop it is not shown."""
    button = page.locator(".site-nav > summary")
    if button.is_visible() and page.locator(".site-nav[open]").count() == 0:
        button.click()
