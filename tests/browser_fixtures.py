"""Headless Chromium through Playwright (Debian's /usr/bin/chromium; never `playwright
install`). Import the fixtures into a test package's conftest (see tests/accounts/conftest.py)."""

from collections.abc import Callable, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
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
    """Log a clerk into the Django admin. The one place to change if the admin login gains a
    step (e.g. an OTP code)."""
    page.goto(f"{base_url}/admin/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture
def admin_login() -> Callable:
    return admin_browser_login
