"""Fixtures for the accounts tests; the integration ones (Celery worker, SMTP sink, a Redis we
can stop) live in tests/integration_fixtures.py."""

import pytest

# pytest refuses ``pytest_plugins`` outside the top-level conftest ("affects the entire test
# suite"), so the shared fixtures are imported here: they apply to this package only.
from tests.browser_fixtures import admin_login, browser, new_page  # noqa: F401
from tests.integration_fixtures import (  # noqa: F401
    _smtp_sink_server,
    celery_live,
    celery_worker_process,
    redis_server,
    smtp_sink,
)


@pytest.fixture(autouse=True)
def _registration_defaults(settings):
    """Every registration test sees the development captcha (a checkbox that must be ticked)
    and starts with a fresh rate-limit window for the test client's address."""
    from accounts.registration.ratelimit import DEFAULT_LIMITS, rate_limit_reset

    settings.REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
    for scope in DEFAULT_LIMITS:
        rate_limit_reset(scope=scope, ip="127.0.0.1")
