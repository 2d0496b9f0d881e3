"""Playwright fixtures for browser tests: Debian's Chromium, headless, never downloaded.

Register in a test package's ``conftest.py``. One browser per test session (starting
Chromium is the slow part); each test gets a fresh context, so cookies never leak between
tests.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
# A phone: the portal must work at 375 px (GUIDE §3).
PHONE_VIEWPORT = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A page in a fresh context whose relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server.url, locale="es-BO", viewport=PHONE_VIEWPORT)
    page = context.new_page()
    yield page
    context.close()
