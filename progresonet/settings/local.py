"""Development settings: the embedded PostgreSQL of `make run` (var/), eager Celery, console
email."""

import warnings

from .base import *  # noqa: F403
from .base import env, env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed development key keeps sessions valid across restarts; production refuses it.
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789")
PIN_PEPPER = env("DJANGO_PIN_PEPPER", "dev-only-pin-pepper-do-not-use-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

# Debug mode serves static files from the finders; no manifest needed before collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if not env("RECAPTCHA_PRIVATE_KEY"):
    warnings.warn(
        "RECAPTCHA_PUBLIC_KEY/RECAPTCHA_PRIVATE_KEY unset: the registration captcha is left out.",
        stacklevel=1,
    )

# Serve static files straight from the finders (no collectstatic in development).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Without a worker or beat in development, let the simulated clearing house settle at once.
ACH_SIMULATED_SETTLEMENT_SECONDS = 0
