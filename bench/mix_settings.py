"""Settings for the mix benchmark's gunicorn: those transfer_http and the reliability suite
use (test settings, DEBUG off, request errors logged to gunicorn's log), except that tasks are
published to the broker (Redis) for the real Celery worker instead of running eagerly inside
the request, as in production."""

from tests.reliability.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
