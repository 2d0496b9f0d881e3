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
def page(browser):
    """A phone-sized page (375 px), the narrowest screen the portal supports."""
    context = browser.new_context(locale="es-BO", viewport={"width": 375, "height": 800})
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
