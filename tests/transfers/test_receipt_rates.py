"""The receipt (page and PDF) states both rates of a conversion, as step 4 did before signing:
the official rate and the rate the member actually paid once the legs were rounded to the
cent against them (transfers/quotes.py)."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
)
from transfers.models import TransferType
from transfers.services import TransferOrder

pytestmark = pytest.mark.django_db

OFFICIAL = "Tipo de cambio"
EFFECTIVE = "Tipo de cambio efectivo (con el redondeo al centavo)"


@pytest.fixture
def owner(client):
    member = make_member()
    user = make_user(member=member)
    client.force_login(user)
    bob = make_account(member=member, currency="BOB", balance="1000.00")
    usd = make_account(member=member, currency="USD", balance="100.00")
    other_bob = make_account(member=member, currency="BOB")
    return user, bob, usd, other_bob


def _transfer(user, source, destination, currency, amount):
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=source.pk,
        destination_account_id=destination.pk,
        currency=currency,
        amount=Decimal(amount),
        description="Cambio",
    )
    return priced_transfer_execute(user=user, order=order)


def _page_and_pdf(client, transfer) -> tuple[str, str]:
    page = client.get(f"/transferencias/comprobante/{transfer.pk}/")
    pdf = client.get(f"/transferencias/comprobante/{transfer.pk}/pdf/")
    assert page.status_code == pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    return page.content.decode(), " ".join(text.split())


def _row(html: str, label: str) -> str:
    """The value next to ``label`` in the receipt's summary list."""
    start = html.index(f"<dt>{label}</dt>")
    value = html[html.index("<dd>", start) + 4 : html.index("</dd>", start)]
    return " ".join(value.split())


def test_a_conversion_receipt_shows_the_official_and_the_effective_rate(client, owner):
    user, bob, usd, _ = owner
    # Bs 0,07 buy $us 0,01 at the official 6,96: the member paid 7,0000 Bs per dollar.
    transfer = _transfer(user, bob, usd, "BOB", "0.07")
    html, pdf = _page_and_pdf(client, transfer)
    assert _row(html, OFFICIAL) == "6,96"
    assert _row(html, EFFECTIVE) == "7,0000"
    assert f"{OFFICIAL}: 6,96" in pdf
    assert f"{EFFECTIVE}: 7,0000" in pdf


def test_the_effective_rate_shows_even_when_it_equals_the_official_one(client, owner):
    user, bob, usd, _ = owner
    transfer = _transfer(user, bob, usd, "USD", "10.00")  # Bs 69,60 for $us 10,00
    html, pdf = _page_and_pdf(client, transfer)
    assert _row(html, OFFICIAL) == "6,96" and _row(html, EFFECTIVE) == "6,9600"
    assert f"{EFFECTIVE}: 6,9600" in pdf


def test_no_rate_without_a_conversion(client, owner):
    user, bob, _, other_bob = owner
    transfer = _transfer(user, bob, other_bob, "BOB", "10.00")
    html, pdf = _page_and_pdf(client, transfer)
    assert OFFICIAL not in html and OFFICIAL not in pdf
