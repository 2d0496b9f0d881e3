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
