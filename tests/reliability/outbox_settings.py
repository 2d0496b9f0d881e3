"""Settings for the gunicorn of the outbox fault scenarios: the reliability settings, but
publishing outbox tasks to a real broker (``CELERY_BROKER_URL``, a Redis the scenario stops)
instead of running them eagerly, the registration captcha's test stand-in (a checkbox that
must be ticked), and the outbox's and rate limiter's warnings in gunicorn's log."""

from tests.reliability.settings import *  # noqa: F403
from tests.reliability.settings import LOGGING

CELERY_TASK_ALWAYS_EAGER = False
REGISTRATION_CAPTCHA = "accounts.registration.captcha.CheckboxCaptcha"
LOGGING["loggers"]["accounts"] = {"handlers": ["stderr"], "level": "WARNING"}
