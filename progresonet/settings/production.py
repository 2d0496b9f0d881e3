"""Production settings: refuse insecure defaults and pass ``manage.py check --deploy``."""

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_URL,
    DATABASES,
    PIN_PEPPER,
    RECAPTCHA_PRIVATE_KEY,
    RECAPTCHA_PUBLIC_KEY,
    SECRET_KEY,
    TRUSTED_PROXIES,
    env,
    env_bool,
    env_list,
    require,
)

DEBUG = False
PRODUCTION = True
require("DJANGO_SECRET_KEY", SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
require("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS)
require("DATABASE_URL", env("DATABASE_URL"))
require("CELERY_BROKER_URL", CELERY_BROKER_URL)
require("DJANGO_PIN_PEPPER", PIN_PEPPER)
require("RECAPTCHA_PUBLIC_KEY", RECAPTCHA_PUBLIC_KEY)
require("RECAPTCHA_PRIVATE_KEY", RECAPTCHA_PRIVATE_KEY)
DATABASES["default"]["CONN_MAX_AGE"] = int(env("DJANGO_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
if TRUSTED_PROXIES:
    # TLS ends at the reverse proxy; its X-Forwarded-Proto says whether the member used HTTPS.
    # Believed only from TRUSTED_PROXIES (progresonet.middleware.ForwardedHeadersMiddleware
    # drops it from anyone else); without a trusted proxy nobody may claim HTTPS by header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
