"""Pay with QR over HTTP: text and image, the prefilled locked wizard, posting once."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from PIL import Image

from ledger.invariants import ledger_breaches
from transfers.models import Transfer
from transfers.qr import emv
from transfers.qr.images import qr_png
from transfers.qr.models import QrCode, QrCodeStatus

from .helpers import PAY_URL, WIZARD_URL, code_for, member_with_account, pay_by_text, wizard_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return member_with_account("Ana", balance="0")


@pytest.fixture
def beto():
    return member_with_account("Beto", balance="500")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_pay_a_dynamic_code_by_text(ana, beto):
    code = code_for(*ana)
    client = _client(beto[0])
    response = pay_by_text(client, code.payload, beto[1])
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.qr_code == code
    assert transfer.destination_account == ana[1]
    assert transfer.amount == Decimal("35.50")
    assert transfer.description == "Almuerzo"
    ana[1].refresh_from_db()
    assert ana[1].balance == Decimal("35.50")
    code.refresh_from_db()
    assert code.status == QrCodeStatus.USED
    assert ledger_breaches() == []
    # Paying it again: refused when read, nothing moves.
    again = client.post(PAY_URL, {"text": code.payload})
    assert "ya fue pagado" in again.content.decode()
    assert Transfer.objects.count() == 1


def test_pay_by_uploaded_png(ana, beto):
    code = code_for(*ana)
    client = _client(beto[0])
    upload = io.BytesIO(qr_png(code.payload))
    upload.name = "qr.png"
    response = client.post(PAY_URL, {"image": upload})
    assert response.status_code == 302
    page = client.get(WIZARD_URL).content.decode()
    assert "Paso 1 de 4" in page


def test_locked_amount_and_reference_ignore_a_tampered_post(ana, beto):
    code = code_for(*ana)
    client = _client(beto[0])
    pay_by_text(client, code.payload, beto[1], amount="1,00", description="Otra cosa")
    transfer = Transfer.objects.get()
    assert transfer.amount == Decimal("35.50")
    assert transfer.description == "Almuerzo"


def test_open_amount_code_lets_the_payer_type_it(ana, beto):
    code = code_for(*ana, amount="", reference="")
    client = _client(beto[0])
    response = pay_by_text(client, code.payload, beto[1], amount="12,30", description="Taxi")
    assert response.status_code == 302
    assert Transfer.objects.get().amount == Decimal("12.30")


def test_wizard_shows_locked_fields(ana, beto):
    code = code_for(*ana)
    client = _client(beto[0])
    client.post(PAY_URL, {"text": code.payload})
    client.get(WIZARD_URL)
    wizard_step(client, "source", {"transfer_type": "third_party", "source_account": beto[1].pk})
    page = wizard_step(client, "destination", {}).content.decode()
    assert "Fijado por el código QR" in page
    assert 'value="Bs 35,50"' in page and "disabled" in page


def test_revoked_between_steps_is_refused_at_the_end(ana, beto):
    code = code_for(*ana)
    client = _client(beto[0])
    client.post(PAY_URL, {"text": code.payload})
    client.get(WIZARD_URL)
    wizard_step(client, "source", {"transfer_type": "third_party", "source_account": beto[1].pk})
    wizard_step(client, "destination", {})
    response = wizard_step(
        client,
        "data",
        {"currency": "BOB", "notify_email": "", "funds_origin": "", "funds_destination": ""},
    )
    key = response.context["idempotency_key"]
    QrCode.objects.filter(pk=code.pk).update(status=QrCodeStatus.REVOKED)
    response = wizard_step(client, "confirm", {"pin": "4826"}, idempotency_key=key)
    assert response.status_code == 302 and response["Location"] == PAY_URL
    assert Transfer.objects.count() == 0
    beto[1].refresh_from_db()
    assert beto[1].balance == Decimal("500")


def test_reusable_static_code_is_paid_twice(ana, beto):
    code = code_for(
        *ana,
        single_use=False,
        valid_until=__import__("datetime").date.today() + __import__("datetime").timedelta(days=3),
    )
    decoded = emv.decode(code.payload)
    assert not decoded.dynamic and decoded.account_number == ana[1].number
    client = _client(beto[0])
    pay_by_text(client, code.payload, beto[1])
    pay_by_text(client, code.payload, beto[1])
    assert Transfer.objects.filter(qr_code=code).count() == 2
    collect = _client(ana[0]).get(f"/transferencias/cobrar-con-qr/{code.pk}/").content.decode()
    assert "Bs 71,00" in collect


def test_static_code_with_a_foreign_account_number_is_refused(ana, beto):
    code = code_for(*ana, single_use=False, valid_until=__import__("datetime").date.today())
    forged = emv.encode(
        emv.QrPayload(
            currency="BOB",
            merchant_name="X",
            merchant_city="Y",
            token=code.token,
            account_number=beto[1].number,
            amount=Decimal("35.50"),
            reference="Almuerzo",
        )
    )
    body = _client(beto[0]).post(PAY_URL, {"text": forged}).content.decode()
    assert "no coincide" in body


def _bad(client, **data):
    response = client.post(PAY_URL, data)
    assert response.status_code == 200
    return response.content.decode()


def test_bad_inputs_are_explained_and_change_nothing(ana, beto, settings):
    code = code_for(*ana)
    client = _client(beto[0])
    text = code.payload
    cases = {
        "dañado": text[:-1] + ("0" if text[-1] != "0" else "1"),
        "no es un código de pago": "hola mundo",
    }
    for message, payload in cases.items():
        assert message in _bad(client, text=payload)
    # An image with no QR.
    blank = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(blank, "PNG")
    blank.seek(0)
    blank.name = "blank.png"
    assert "No encontramos un código QR" in _bad(client, image=blank)
    # Another type.
    gif = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(gif, "GIF")
    gif.seek(0)
    gif.name = "x.gif"
    assert "PNG, JPEG o WebP" in _bad(client, image=gif)
    pdf = io.BytesIO(b"%PDF-1.4 not an image")
    pdf.name = "x.png"
    assert "PNG, JPEG o WebP" in _bad(client, image=pdf)
    # Too many bytes.
    settings.QR_UPLOAD_MAX_BYTES = 1024
    big = io.BytesIO(qr_png(text) + b"\0" * 2048)
    big.name = "big.png"
    assert "demasiado grande" in _bad(client, image=big)
    settings.QR_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    # Decompression bombs: tiny files declaring 40,000 x 40,000 pixels (over Pillow's own
    # guard) and 6,000 x 6,000 (under it, over ours): refused from the header.
    for side in (40000, 6000):
        bomb = io.BytesIO()
        Image.new("1", (side, side)).save(bomb, "PNG")
        assert bomb.tell() < 1024 * 1024
        bomb.seek(0)
        bomb.name = "bomb.png"
        assert "demasiados píxeles" in _bad(client, image=bomb)
    # Own account.
    assert "sus propias cuentas" in _bad(_client(ana[0]), text=text)
    # A currency none of the payer's accounts has.
    usd_user, usd_account = member_with_account("Ciro", currency="USD")
    usd_code = code_for(usd_user, usd_account, amount="5.00")
    assert "Ninguna de sus cuentas" in _bad(client, text=usd_code.payload)
    # Expired and revoked.
    QrCode.objects.filter(pk=code.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert "venció" in _bad(client, text=text)
    QrCode.objects.filter(pk=code.pk).update(status=QrCodeStatus.REVOKED)
    assert "revocado" in _bad(client, text=text)
    assert Transfer.objects.count() == 0
    assert "qr_payment" not in client.session


def test_wizard_without_a_read_code_goes_back_to_pay(beto):
    response = _client(beto[0]).get(WIZARD_URL)
    assert response.status_code == 302 and response["Location"] == PAY_URL
