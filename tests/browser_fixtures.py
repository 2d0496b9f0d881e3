"""A shared headless Chromium (Debian's package) for browser tests, via Playwright's sync API.

Use it from a test package's conftest: ``from tests.browser_fixtures import browser, page``
(pytest refuses ``pytest_plugins`` in a non-top-level conftest when the whole suite runs).
"""

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
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="es-BO", viewport={"width": 375, "height": 800})
    # Fail in seconds, not the default 30, when a label or role is missing.
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
