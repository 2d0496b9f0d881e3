"""Fixtures for the accounts tests; the shared browser and integration ones (Celery worker,
SMTP sink, a Redis we can stop) are registered in tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _registration_defaults(settings):
    """Every registration test sees the development captcha (a checkbox that must be ticked);
    the fresh rate-limit window is tests/conftest.py's, for every test."""
    settings.REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
