"""Fixtures for the accounts tests; the shared browser and integration ones (Celery worker,
SMTP sink, a Redis we can stop) are registered in tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _registration_defaults(settings):
    """Every registration test sees the development captcha (a checkbox that must be ticked)
    and starts with a fresh rate-limit window for the test client's address."""
    from accounts.registration.ratelimit import rate_limit_reset

    settings.REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
    for scope in settings.REGISTRATION_RATE_LIMITS:
        rate_limit_reset(scope=scope, ip="127.0.0.1")
