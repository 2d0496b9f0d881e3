"""Statement downloads: the CSV a spreadsheet reads and the PDF a member prints.

The PDF's text is read back with pypdf (a dev dependency) so the test checks what the member
would see — header, masked number, Bolivian amounts, page numbers — not just that bytes came out.
"""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from ledger import services, statements
from ledger.models import Account
from tests.factories import make_account, make_member, make_user

pytestmark = pytest.mark.django_db


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


@pytest.fixture
def account(member):
    account = make_account(member=member, currency="BOB")
    services.cash_deposit(
        account=account,
        amount=Decimal("1500.00"),
        description="Depósito en ventanilla",
        booked_at=local(2026, 2, 27),
    )
    services.cash_withdrawal(
        account=account,
        amount=Decimal("250.25"),
        description='=HYPERLINK("http://x")',
        booked_at=local(2026, 3, 2),
    )
    services.cash_deposit(
        account=account,
        amount=Decimal("1000.00"),
        description="@SUM(A1) y -1+1",
        booked_at=local(2026, 3, 15, 18),
    )
    account.refresh_from_db()
    return account


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # so Excel reads the accents as UTF-8
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def pdf_text(response) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(response.content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_csv_lists_movements_oldest_first_with_plain_decimals(logged_client, account):
    response = logged_client.get(reverse("ledger:account_statement_csv", args=[account.pk]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    opened = timezone.localdate(account.opened_at).isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="extracto_{account.masked_number}_{opened}_{today}.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == ["Fecha", "Descripción", "Débito", "Crédito", "Saldo", "Moneda"]
    assert rows[1:] == [
        ["2026-02-27 10:00", "Depósito en ventanilla", "", "1500.00", "1500.00", "BOB"],
        ["2026-03-02 10:00", '\'=HYPERLINK("http://x")', "250.25", "", "1249.75", "BOB"],
        ["2026-03-15 18:00", "'@SUM(A1) y -1+1", "", "1000.00", "2249.75", "BOB"],
    ]
    # Amounts parse as numbers without any locale knowledge, and the balance chains.
    balance = Decimal(0)
    for row in rows[1:]:
        balance += Decimal(row[3] or 0) - Decimal(row[2] or 0)
        assert Decimal(row[4]) == balance


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+57 pago", "'+57 pago"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Pago = 2", "Pago = 2"),
        ("", ""),
    ],
)
def test_csv_safe_neutralises_formulas(text, safe):
    assert statements.csv_safe(text) == safe


def test_csv_honours_the_date_filter(logged_client, account):
    url = reverse("ledger:account_statement_csv", args=[account.pk])
    response = logged_client.get(url + "?date_from=2026-03-01&date_to=2026-03-10")
    assert response["Content-Disposition"] == (
        f'attachment; filename="extracto_{account.masked_number}_2026-03-01_2026-03-10.csv"'
    )
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:]] == ["2026-03-02 10:00"]


def test_csv_of_a_long_history_streams_every_line(logged_client, member):
    account = make_account(member=member)
    start = local(2026, 1, 1)
    for n in range(1, 2501):  # more than one iterator chunk
        services.cash_deposit(
            account=account,
            amount=Decimal("1.00"),
            description=f"M{n}",
            booked_at=start + timedelta(minutes=n),
        )
    response = logged_client.get(reverse("ledger:account_statement_csv", args=[account.pk]))
    rows = csv_rows(response)[1:]
    assert [row[1] for row in rows] == [f"M{n}" for n in range(1, 2501)]
    assert rows[-1][4] == "2500.00"


def test_pdf_has_header_movements_and_bolivian_amounts(logged_client, member, account):
    response = logged_client.get(
        reverse("ledger:account_statement_pdf", args=[account.pk])
        + "?date_from=2026-02-01&date_to=2026-03-31"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="extracto_{account.masked_number}_2026-02-01_2026-03-31.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    reader, text = pdf_text(response)
    assert len(reader.pages) == 1
    for expected in (
        "Cooperativa de Ahorro y Crédito Abierta Progreso R.L.",
        "Extracto de cuenta",
        f"Socio: {member.display_name}",
        # The member's own account: in full (issue 14; it was masked before).
        f"Caja de Ahorros {account.number}",
        "Período: del 01/02/2026 al 31/03/2026",
        "Saldo inicial: Bs 0,00",
        "Total ingresos: Bs 2.500,00",
        "Total egresos: Bs 250,25",
        "Saldo final: Bs 2.249,75",
        "Saldo disponible hoy: Bs 2.249,75",
        "Depósito en ventanilla",
        "1.500,00",
        "250,25",
        "Bs 1.249,75",
        "Bs 2.249,75",
        "Página 1 de 1",
    ):
        assert expected in text, expected


def test_pdf_filter_excludes_other_movements(logged_client, account):
    response = logged_client.get(
        reverse("ledger:account_statement_pdf", args=[account.pk])
        + "?date_from=2026-03-10&date_to=2026-03-20"
    )
    _, text = pdf_text(response)
    assert "@SUM(A1)" in text
    assert "Depósito en ventanilla" not in text
    assert "HYPERLINK" not in text


def test_pdf_of_many_movements_numbers_its_pages(logged_client, member):
    account = make_account(member=member, currency="USD")
    start = local(2026, 1, 1)
    for n in range(1, 121):
        services.cash_deposit(
            account=account,
            amount=Decimal("10.00"),
            description=f"Abono {n}",
            booked_at=start + timedelta(hours=n),
        )
    response = logged_client.get(reverse("ledger:account_statement_pdf", args=[account.pk]))
    reader, text = pdf_text(response)
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"Página {number} de {total}" in page.extract_text()
    assert "$us 1.200,00" in text
    assert "Abono 1\n" in text or "Abono 1 " in text


def test_pdf_with_no_movements_says_so(logged_client, member):
    account = make_account(member=member)
    reader, text = pdf_text(
        logged_client.get(reverse("ledger:account_statement_pdf", args=[account.pk]))
    )
    assert "No hay movimientos en este período." in text


def test_pdf_escapes_markup_in_descriptions(logged_client, member):
    account = make_account(member=member)
    services.cash_deposit(
        account=account,
        amount=Decimal("5.00"),
        description="<b>Pago</b> & <font>x",
    )
    response = logged_client.get(reverse("ledger:account_statement_pdf", args=[account.pk]))
    assert response.status_code == 200
    assert "<b>Pago</b> & <font>x" in pdf_text(response)[1]


def test_pdf_over_the_cap_sends_the_member_back_with_a_message(logged_client, account, monkeypatch):
    monkeypatch.setattr(statements, "PDF_MAX_LINES", 2)
    response = logged_client.get(
        reverse("ledger:account_statement_pdf", args=[account.pk]) + "?date_from=2026-01-01"
    )
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("ledger:account_detail", args=[account.pk]) + "?date_from=2026-01-01"
    )
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "más de 2 movimientos" in message


def test_a_co_holder_downloads_a_shared_account(client):
    owner, partner = make_member(), make_member()
    shared = make_account(
        member=owner, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(partner,), balance="3"
    )
    client.force_login(make_user(member=partner))
    for name in ("ledger:account_statement_csv", "ledger:account_statement_pdf"):
        assert client.get(reverse(name, args=[shared.pk])).status_code == 200
