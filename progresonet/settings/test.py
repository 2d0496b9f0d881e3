"""Test settings: PostgreSQL is required (``make test`` starts a throwaway server)."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"  # noqa: S105
DEBUG = False
PIN_PEPPER = "test-only-pin-pepper"  # noqa: S105
# Argon2 stays the PIN hasher in tests, with light parameters so the suite stays fast.
PIN_ARGON2_MEMORY_KIB = 1024
PIN_ARGON2_TIME_COST = 1
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

if not env("DATABASE_URL"):
    from django.core.exceptions import ImproperlyConfigured

    # Never the development database in var/: the suite flushes what it touches.
    raise ImproperlyConfigured(
        "Tests need their own PostgreSQL: set DATABASE_URL (make test does)."
    )

# Fast hashing keeps the suite quick; a dedicated test proves Argon2 is the production hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105 - tests only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Templates used only by tests (e.g. a sample outbox email).
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405

# Serve static files straight from the finders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
