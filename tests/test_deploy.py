"""Production settings: secure by default, refuse to start without secrets, check --deploy clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "progresonet.settings.production",
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-like-secret-" + "q" * 30,
    "DJANGO_ALLOWED_HOSTS": "banca.coopprogreso.bo",
    "DATABASE_URL": "postgres://progresonet@127.0.0.1:5432/progresonet",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "RECAPTCHA_PUBLIC_KEY": "public-key-for-the-check",
    "RECAPTCHA_PRIVATE_KEY": "private-key-for-the-check",
    "DJANGO_PIN_PEPPER": "pepper-for-the-check-" + "x" * 40,
}


def _manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RECAPTCHA_"))}
    env.update(PRODUCTION_ENV)
    env.update(env_overrides or {})
    for name in drop:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "RECAPTCHA_PRIVATE_KEY"],
)
def test_production_refuses_to_start_without(missing):
    result = _manage("check", drop=(missing,))
    assert result.returncode != 0
    assert missing in result.stderr


def test_argon2_is_the_first_password_hasher_outside_tests():
    from progresonet.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sessions_live_in_the_database_for_any_web_process():
    # Read through the shared Redis cache, the row the authority (accounts.session_store).
    from django.contrib.sessions.backends.db import SessionStore as DBStore
    from django.utils.module_loading import import_string

    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    assert issubclass(engine, DBStore)
    assert settings.SESSION_ENGINE == "accounts.session_store"


def _setting(name: str, **overrides) -> str:
    result = _manage(
        "shell", "-c", f"from django.conf import settings; print(repr(settings.{name}))",
        env_overrides=overrides,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_check_deploy_passes_behind_the_trusted_proxy():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_overrides={"DJANGO_TRUSTED_PROXIES": "172.28.0.10,fd00::/64"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_x_forwarded_proto_is_believed_only_with_a_trusted_proxy():
    assert _setting("SECURE_PROXY_SSL_HEADER") == "None"
    behind = _setting("SECURE_PROXY_SSL_HEADER", DJANGO_TRUSTED_PROXIES="172.28.0.10")
    assert behind == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert _setting("TRUSTED_PROXIES", DJANGO_TRUSTED_PROXIES="172.28.0.10") == "['172.28.0.10']"


def test_a_malformed_trusted_proxy_refuses_to_start():
    result = _manage("check", env_overrides={"DJANGO_TRUSTED_PROXIES": "172.28.0.10,proxy.local"})
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES" in result.stderr


def test_demo_load_refuses_under_production_settings():
    # Refused before any query: the production DATABASE_URL here points at nothing.
    result = _manage("demo_load")
    assert result.returncode != 0
    assert "demo_load refuses to run under production settings" in result.stderr
    assert "progresonet.settings.production" in result.stderr
    assert "Traceback" not in result.stderr
