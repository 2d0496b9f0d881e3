"""Security headers on every page; no caching of authenticated pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_security_headers(client):
    response = client.get("/ingresar/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_authenticated_pages_are_not_stored(logged_client):
    response = logged_client.get("/cuentas/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_unknown_url_is_a_spanish_404(client):
    response = client.get("/no-existe/")
    assert response.status_code == 404
    assert "Página no encontrada" in response.content.decode()


def test_pages_need_login(client):
    response = client.get("/cuentas/")
    assert response.status_code == 302
    assert response["Location"].startswith("/ingresar/")


AUTHENTICATED_PAGES = [
    "/cuentas/",
    "/transferencias/",
    "/transferencias/entre-mis-cuentas/",
    "/administracion/productos-de-terceros/",
    "/prestamos/",
    "/configuracion/",
]


@pytest.mark.parametrize("path", AUTHENTICATED_PAGES)
def test_every_authenticated_page_is_not_stored_and_keeps_the_headers(logged_client, path):
    response = logged_client.get(path)
    assert response.status_code == 200, path
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


_PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test import Client, override_settings
# Only the static storage changes: production's manifest needs collectstatic first.
plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    response = Client(HTTP_HOST="banca.coopprogreso.bo").get("/ingresar/", secure=True)
print(json.dumps({"status": response.status_code, "headers": dict(response.headers),
                  "cookies": {k: dict(v) for k, v in response.cookies.items()}}))
"""


def _production_probe() -> dict:
    import json
    import os
    import subprocess
    import sys

    from tests.test_deploy import PRODUCTION_ENV, ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RECAPTCHA_"))}
    env.update(PRODUCTION_ENV)
    # The login page reads no table, but point at the live test server rather than port 5432.
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_send_hsts_for_a_year_and_secure_cookies():
    """The production settings module, in its own process (it reads the environment once):
    the login page over HTTPS carries HSTS >= 1 year and the strict headers."""
    probe = _production_probe()
    headers = {k.lower(): v for k, v in probe["headers"].items()}
    assert probe["status"] == 200
    hsts = dict(
        (part.strip().split("=") + [""])[:2]
        for part in headers["strict-transport-security"].split(";")
    )
    assert int(hsts["max-age"]) >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    csrf = next(v for k, v in probe["cookies"].items() if "csrftoken" in k)
    assert csrf["secure"] is True or csrf["secure"] == "True"


def _directive(response, name: str) -> str:
    csp = response["Content-Security-Policy"]
    return next((d.strip() for d in csp.split(";") if d.strip().startswith(name + " ")), "")


def test_recaptcha_is_allowed_only_on_the_registration_step_that_shows_it(client, settings):
    """With reCAPTCHA keys (as in production), every page keeps script-src 'self'; only the
    review step of the registration, where the checkbox is, may load Google's script/frame."""
    from django.urls import reverse

    from tests.accounts.registration_helpers import PERSON, post_step

    settings.REGISTRATION_CAPTCHA = None
    settings.RECAPTCHA_PUBLIC_KEY = "public-test-key"
    settings.RECAPTCHA_PRIVATE_KEY = "private-test-key"
    for page in (client.get("/ingresar/"), client.get(reverse("accounts:registration"))):
        assert "google" not in page["Content-Security-Policy"]
    post_step(client, "kind", {"kind": "person"})
    terms = post_step(client, "terms", {"accept": "on"})
    assert "google" not in terms["Content-Security-Policy"]
    review = post_step(client, "person", PERSON)
    assert 'class="g-recaptcha"' in review.content.decode()
    script_src = _directive(review, "script-src")
    assert "https://www.google.com/recaptcha/" in script_src
    assert "https://www.gstatic.com/recaptcha/" in script_src
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src
    assert _directive(review, "frame-src") == "frame-src https://www.google.com/recaptcha/"
    # A review post refused (empty captcha) shows the captcha again, with its sources.
    again = post_step(client, "review", {})
    assert "https://www.google.com/recaptcha/" in _directive(again, "script-src")
    assert "google" not in client.get("/ingresar/")["Content-Security-Policy"]


def test_production_csp_has_no_recaptcha_on_an_ordinary_page():
    """Production settings (reCAPTCHA keys set) in their own process: the login page's CSP
    allows scripts from our own origin only."""
    probe = _production_probe()
    csp = {k.lower(): v for k, v in probe["headers"].items()}["content-security-policy"]
    assert "google" not in csp and "gstatic" not in csp
    assert "script-src 'self';" in csp + ";"
