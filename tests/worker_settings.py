"""Settings for the real Celery worker the integration tests start: the test settings, but
sending through SMTP (the test's aiosmtpd sink) and, when asked, relaying the outbox every
``OUTBOX_RELAY_INTERVAL`` seconds through the embedded beat."""

from progresonet.settings.base import env
from progresonet.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "5"))
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-due": {
        "task": "outbox.tasks.outbox_relay_due_task",
        "schedule": float(env("OUTBOX_RELAY_INTERVAL", "30")),
    },
}
