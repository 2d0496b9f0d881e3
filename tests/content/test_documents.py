"""Issue 14, items 5–8: own account numbers in full with "Copiar" (other people's masked),
receipts and documents (loan-payment receipt with PDF, the statement PDF's period and totals,
"Total a debitar" on the receipt, favicon, the sign-out message), the co-holder's
"Pendientes de firma" box, and what the admin shows clerks."""

import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.services.pin import pin_set
from ledger import services as ledger_services
from ledger.models import Account
from tests.conftest import admin_force_login
from tests.factories import make_account, make_member, make_user
from tests.security.test_access_matrix import owner as owner  # noqa: PLC0414 - the fixture

from .pages import member_pages

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def body(response) -> str:
    return response.content.decode()


# --- 5. own numbers in full, others masked ---------------------------------------------------


def test_own_numbers_in_full_with_copy_and_share_text(client, owner):
    account = owner["objects"][0]
    pages = member_pages(client, owner)
    dashboard = pages["ledger:dashboard"]
    assert account.number in dashboard
    # The "Copiar" button: rendered hidden, shown and wired by static/js/copy.js.
    assert re.search(
        rf'<button type="button" class="copy-button" data-copy="{account.number}"[^>]* hidden>'
        r"Copiar",
        dashboard,
    )
    assert finders.find("js/copy.js")
    assert "js/copy.js" in dashboard
    detail = pages["ledger:account_detail"]
    share = f"Caja de Ahorros BOB N.º {account.number} — Dueña Del Dato — Cooperativa Progreso"
    assert share in detail
    assert f'data-copy="{share}"' in detail
    # Own numbers on the receipts and lists of the member's own transfers and payments.
    for name in ("transfers:receipt", "transfers:list", "loans:receipt", "loans:detail"):
        assert account.number in pages[name], name
        assert account.masked_number not in pages[name], name


def test_other_peoples_numbers_stay_masked(client, owner):
    pages = member_pages(client, owner)
    receipt = pages["transfers:receipt(fee)"]
    assert "3001234567" not in receipt  # the other bank's account
    assert "X000X-567" in receipt
    beneficiaries = pages["beneficiaries:list"]
    assert "1234567890" not in beneficiaries and "X000X-890" in beneficiaries
    # A third-party member's account on my receipt: masked.
    user = owner["user"]
    source = owner["objects"][0]
    stranger = make_account(member=make_member(first_names="Ajena"))
    from tests.factories import signed_transfer_execute
    from transfers.services import TransferOrder, transfer_prepare

    order = TransferOrder(
        transfer_type="third_party",
        source_account_id=source.pk,
        currency="BOB",
        amount=Decimal("20"),
        description="Regalo",
        destination_account_id=stranger.pk,
    )
    quote = transfer_prepare(user=user, order=order)
    transfer = signed_transfer_execute(
        user=user, order=order, expected_fingerprint=quote.fingerprint(), idempotency_key="tp1"
    )
    client.force_login(user)
    page = body(client.get(reverse("transfers:receipt", args=[transfer.pk])))
    assert stranger.number not in page
    assert stranger.masked_number in page
    assert source.number in page  # mine, in full


# --- 6. receipts and documents ----------------------------------------------------------------


def test_receipt_of_a_transfer_with_a_fee_shows_total_to_debit(client, owner):
    pages = member_pages(client, owner)
    receipt = pages["transfers:receipt(fee)"]
    from transfers.models import Transfer

    transfer = Transfer.objects.get(description="Pago de alquiler")
    assert transfer.fee_amount > 0
    total = transfer.debit_amount + transfer.fee_amount
    from ledger.money import format_money

    assert re.search(
        r"Total a debitar</dt>\s*<dd>\s*<span class=\"money\">"
        + re.escape(format_money(total, "BOB")),
        receipt,
    )
    pdf = client.get(reverse("transfers:receipt_pdf", args=[transfer.pk]))
    assert re.search(
        rf"Total a debitar:\s*{re.escape(format_money(total, 'BOB'))}", pdf_text(pdf.content)
    )
    # Step 4 shows it too.
    assert "Total a debitar" in pages["transfers:own(BOB->USD):after-data"]


def test_loan_payment_receipt_html_and_pdf_with_verification_code(client, owner):
    _account, _transfer, _product, loan, payment, _session, *_rest = owner["objects"]
    payment.refresh_from_db()
    assert re.fullmatch(r"[0-9A-F]{12}", payment.verification_code)
    client.force_login(owner["user"])
    page = body(client.get(reverse("loans:receipt", args=[payment.pk])))
    assert payment.verification_code in page
    pdf_url = reverse("loans:receipt_pdf", args=[payment.pk])
    assert pdf_url in page
    response = client.get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Comprobante de pago de crédito",
        payment.receipt_number,
        f"Código de verificación: {payment.verification_code}",
        r"Total pagado:\s*Bs 50,00",
        loan.number,
    ):
        assert re.search(expected, text), expected
    # Another member cannot download it.
    intruder = make_user(member=make_member(first_names="Intrusa"))
    other = Client()
    other.force_login(intruder)
    assert other.get(pdf_url).status_code == 404


def test_verification_codes_are_unique_per_payment(owner):
    from loans.models import LoanPayment

    codes = list(LoanPayment.objects.values_list("verification_code", flat=True))
    assert len(codes) == len(set(codes)) >= 1


def _local(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 10))


def test_statement_pdf_prints_the_period_asked_for_and_its_totals(client):
    member = make_member(first_names="Rosa")
    user = make_user(member=member)
    account = make_account(member=member)
    dep = ledger_services.cash_deposit
    dep(
        account=account,
        amount=Decimal("1000.00"),
        description="Antes",
        booked_at=_local(2026, 1, 5),
    )
    dep(
        account=account,
        amount=Decimal("500.00"),
        description="Dentro",
        booked_at=_local(2026, 2, 10),
    )
    ledger_services.cash_withdrawal(
        account=account,
        amount=Decimal("120.40"),
        description="Retiro",
        booked_at=_local(2026, 2, 20),
    )
    dep(
        account=account, amount=Decimal("7.00"), description="Después", booked_at=_local(2026, 3, 9)
    )
    client.force_login(user)
    url = reverse("ledger:account_statement_pdf", args=[account.pk])
    text = pdf_text(client.get(url + "?date_from=2026-02-01&date_to=2026-02-28").content)
    for expected in (
        "Período: del 01/02/2026 al 28/02/2026",
        "Saldo inicial: Bs 1.000,00",
        "Total ingresos: Bs 500,00",
        "Total egresos: Bs 120,40",
        "Saldo final: Bs 1.379,60",
        "Saldo disponible hoy: Bs 1.386,60",
    ):
        assert expected in text, expected
    # Without dates: from the first movement (not the day the account row was loaded).
    text = pdf_text(client.get(url).content)
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert f"Período: del 05/01/2026 al {today}" in text
    assert "Saldo inicial: Bs 0,00" in text and "Saldo final: Bs 1.386,60" in text
    # A period without movements opens and closes at the balance carried in.
    text = pdf_text(client.get(url + "?date_from=2026-02-21&date_to=2026-03-01").content)
    assert "Saldo inicial: Bs 1.379,60" in text and "Saldo final: Bs 1.379,60" in text
    assert "Total ingresos: Bs 0,00" in text


def test_favicon_is_linked_and_served(client):
    page = body(client.get(reverse("accounts:login")))
    match = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert match and match.group(1).endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_sign_out_says_so(client):
    user = make_user(member=make_member())
    client.force_login(user)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "Cerró su sesión correctamente." in body(response)
    assert "_auth_user_id" not in client.session


# --- 7. joint accounts --------------------------------------------------------------------------


def test_every_co_holder_with_a_waiting_signature_sees_the_box(client, owner):
    pages = member_pages(client, owner)
    dashboard = pages["ledger:dashboard"]
    assert "Pendientes de firma" in dashboard
    pending = owner["values"]["transfers:cosign"]["pk"]
    assert reverse("transfers:cosign", args=[pending]) in dashboard
    # A member without a waiting signature sees no box.
    lone = make_user(member=make_member(first_names="Sola"))
    make_account(member=lone.member, balance="10")
    other = Client()
    other.force_login(lone)
    assert "Pendientes de firma" not in body(other.get(reverse("ledger:dashboard")))
    # The initiator is told the transfer waits for the co-holders.
    from transfers.models import Transfer

    initiator = Transfer.objects.get(pk=pending).member.user
    mine = Client()
    mine.force_login(initiator)
    receipt = body(mine.get(reverse("transfers:receipt", args=[pending])))
    assert "Pendiente de firma de los cotitulares" in receipt


def test_a_joint_account_with_three_holders_shows_every_waiting_co_holder(client):
    """Two co-holders, both waiting: both dashboards show the box; once one signs, only the
    other's does."""
    from tests.factories import signed_transfer_cosign, signed_transfer_execute
    from transfers.services import TransferOrder, transfer_prepare

    a, b, c = (make_member(first_names=n) for n in ("Ana", "Beto", "Caro"))
    users = [make_user(member=m) for m in (a, b, c)]
    for user in users:
        pin_set(user=user, pin="4826", notify=False)
    joint = make_account(
        member=a, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(b, c), balance="900"
    )
    order = TransferOrder(
        transfer_type="own",
        source_account_id=joint.pk,
        currency="BOB",
        amount=Decimal("100"),
        description="Compra",
        destination_account_id=make_account(member=a).pk,
    )
    quote = transfer_prepare(user=users[0], order=order)
    transfer = signed_transfer_execute(
        user=users[0], order=order, expected_fingerprint=quote.fingerprint(), idempotency_key="j"
    )

    def sees(user) -> bool:
        c = Client()
        c.force_login(user)
        return "Pendientes de firma" in body(c.get(reverse("ledger:dashboard")))

    assert [sees(u) for u in users] == [False, True, True]
    signed_transfer_cosign(user=users[1], transfer_id=transfer.pk, approve=True)
    assert [sees(u) for u in users] == [False, False, True]


# --- 8. the clerk ---------------------------------------------------------------------------------


def test_admin_index_counts_what_waits_and_users_list_shows_locked_second(client, staff_user):
    from accounts.models import RegistrationRequest, User

    for i, status in enumerate(["email_confirmed", "email_confirmed", "submitted"]):
        RegistrationRequest.objects.create(
            kind="person",
            document_type="CI",
            document_number=f"90000{i}",
            document_issued_in="LP",
            first_names="Nuevo",
            last_names="Socio",
            email=f"n{i}@example.com",
            username=f"nuevo{i}",
            status=status,
            terms_accepted_at=timezone.now(),
        )
    locked = make_user(member=make_member())
    User.objects.filter(pk=locked.pk).update(locked_at=timezone.now())
    admin_force_login(client, staff_user)
    index = body(client.get(reverse("admin:index")))
    assert "2 solicitudes de registro: Correo confirmado" in index
    assert "0 solicitudes de registro: Espera segunda aprobación" in index
    assert "1 usuario bloqueado" in index
    assert reverse("admin:accounts_user_changelist") + "?locked=yes" in index
    users = body(client.get(reverse("admin:accounts_user_changelist")))
    headers = re.findall(r'<th scope="col" class="[^"]*column-([a-z_]+)', users)
    assert headers.index("is_locked_display") <= 2, headers
    assert 'alt="Sí"' in users and 'alt="True"' not in users
