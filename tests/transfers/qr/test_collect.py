"""Cobrar con QR over HTTP: the form, the code (SVG, PNG, text), the list, revoking."""

from decimal import Decimal

import pytest
from django.test import Client

from transfers.qr import emv
from transfers.qr.images import qr_read_bytes
from transfers.qr.models import QrCode, QrCodeStatus

from .helpers import member_with_account

pytestmark = pytest.mark.django_db
URL = "/transferencias/cobrar-con-qr/"


@pytest.fixture
def ana():
    user, account = member_with_account("Ana")
    client = Client()
    client.force_login(user)
    return client, user, account


def test_create_show_download_and_revoke(ana):
    client, user, account = ana
    page = client.get(URL).content.decode()
    for label in ("Cobrar con QR", "Cuenta donde cobrar", "Monto", "Glosa", "Válido hasta"):
        assert label in page
    response = client.post(
        URL,
        {"account": account.pk, "amount": "35,50", "reference": "Almuerzo", "usage": "single"},
    )
    code = QrCode.objects.get()
    assert response["Location"] == f"{URL}{code.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and code.payload in page and "Descargar PNG" in page
    png = client.get(f"{URL}{code.pk}/png/")
    assert png["Content-Type"] == "image/png"
    assert qr_read_bytes(png.content) == code.payload
    assert emv.decode(code.payload).amount == Decimal("35.50")
    assert "Mis códigos QR" in client.get(URL).content.decode()
    client.post(f"{URL}{code.pk}/revocar/")
    code.refresh_from_db()
    assert code.status == QrCodeStatus.REVOKED
    assert "Revocado" in client.get(f"{URL}{code.pk}/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "$us 5", "usage": "single"}, "no corresponde"),
        ({"amount": "-3", "usage": "single"}, "mayor a cero"),
        ({"usage": "reusable"}, "necesita una fecha"),
        ({"usage": "reusable", "valid_until": "2001-01-01"}, "entre hoy"),
        ({"usage": "forever"}, "Escoja una opción válida"),
    ],
)
def test_bad_input_is_explained_and_creates_nothing(ana, data, message):
    client, _, account = ana
    response = client.post(URL, {"account": account.pk, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert QrCode.objects.count() == 0


def test_another_members_account_cannot_be_chosen(ana):
    client, _, _ = ana
    _, other = member_with_account("Beto")
    response = client.post(URL, {"account": other.pk, "usage": "single"})
    assert response.status_code == 200 and QrCode.objects.count() == 0
