"""Member pages of loans: list, debts, detail (schedule + statement), downloads, the payment
flow through the signature hook, receipts; foreign loans are 404; query counts pinned."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.services.pin import pin_set
from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from ledger.models import Posting
from loans.models import InstalmentStatus, LoanPayment
from loans.views import DRAFT_KEY
from outbox.models import OutboxMessage
from tests.factories import make_account, make_member, make_user
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db
LA_PAZ = ZoneInfo("America/La_Paz")


def on(day: date):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 12, tzinfo=LA_PAZ), tick=False
    )


PIN = "4826"


@pytest.fixture(autouse=True)
def _member_pin(request):
    """The logged-in member signs payments with a real transaction PIN."""
    if {"logged_client", "member_user"} & set(request.fixturenames):
        pin_set(user=request.getfixturevalue("member_user"), pin=PIN, notify=False)


@pytest.fixture
def loan(member):
    return make_loan(member=member)


@pytest.fixture
def usd_loan(member):
    return make_loan(member=member, currency="USD", principal="2000.00", annual_rate="10", term=6)


def test_menu_links_loans_pages(logged_client):
    html = logged_client.get(reverse("ledger:dashboard")).content.decode()
    assert f'href="{reverse("loans:list")}"' in html
    assert f'href="{reverse("loans:debts")}"' in html


def test_pages_require_login(client, loan):
    for url in (reverse("loans:list"), reverse("loans:detail", args=[loan.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_loan_list_shows_next_due_date_and_amount_due(
    logged_client, loan, usd_loan, django_assert_num_queries
):
    # session (its row still alive: accounts.session_store), user, loans, instalments (however
    # many loans the member has), and the header bell's unread count (notices: one query on a
    # partial index). The session row is not rewritten when nothing durable changed.
    with on(date(2026, 2, 25)), django_assert_num_queries(5):
        response = logged_client.get(reverse("loans:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mis préstamos" in html
    assert "15/03/2026" in html  # next due date ahead: instalment 2 (instalment 1 is overdue)
    # Amount due: instalment 1 overdue with 10 days of penalty (889.80) + instalment 2 (888.49).
    assert "Bs 1.778,29" in html
    assert "Vencida" in html
    assert "$us 2.000,00" in html


def test_debts_page_totals_per_currency(logged_client, loan, usd_loan, member):
    make_loan(member=member, principal="5000.00", disbursement_date=date(2026, 2, 1))
    with on(date(2026, 2, 25)):
        response = logged_client.get(reverse("loans:debts"))
    html = response.content.decode()
    assert "Consulta de deudas" in html
    assert "Totales por moneda" in html
    # Outstanding principal BOB: 10,000 + 5,000.
    assert "Bs 15.000,00" in html
    assert "Bs 1,31" in html  # penalty on the overdue instalment, computed on demand
    assert "$us 2.000,00" in html


def test_loan_detail_schedule_and_statement(logged_client, loan, django_assert_num_queries):
    # session, user, loan+account, instalments, payments, the bell (1); no session write.
    with on(date(2026, 2, 25)), django_assert_num_queries(6):
        response = logged_client.get(reverse("loans:detail", args=[loan.pk]))
    html = response.content.decode()
    for label in ("Plan de pagos", "Extracto", "Fecha de vencimiento", "Cuota", "Desembolso"):
        assert label in html
    assert "Bs 888,49" in html
    assert "Bs 10.000,00" in html
    assert "Monto para pago anticipado total" in html


def test_another_members_loan_is_404(logged_client):
    foreign = make_loan(member=make_member())
    for name in ("loans:detail", "loans:statement_csv", "loans:statement_pdf", "loans:pay"):
        assert logged_client.get(reverse(name, args=[foreign.pk])).status_code == 404
    assert logged_client.get(reverse("loans:detail", args=[999999])).status_code == 404


def test_statement_csv_and_pdf(logged_client, loan, member_user):
    # On the due date: the full period's interest (paid earlier, only the days run are).
    _pay_through_views(logged_client, loan, day=date(2026, 2, 15))
    with on(date(2026, 2, 15)):  # the session's idle timeout runs on the travelled clock
        response = logged_client.get(reverse("loans:statement_csv", args=[loan.pk]))
        pdf = logged_client.get(reverse("loans:statement_pdf", args=[loan.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Fecha"
    assert rows[1][3] == "10.000,00"  # disbursement
    assert rows[2][3:8] == ["788,49", "100,00", "0,00", "888,49", "9.211,51"]
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def _pay_through_views(client, loan, *, day, data=None, pin=PIN):
    first = loan.instalments.get(number=1)
    data = data or {
        "kind": "instalments",
        "instalments": [first.pk],
        "source_account": loan.account_id,
    }
    with on(day):
        step1 = client.post(reverse("loans:pay", args=[loan.pk]), data)
        assert step1.status_code == 302, step1.content.decode()
        confirm = client.get(step1["Location"])
        key = confirm.context["form"]["idempotency_key"].value()
        return confirm, client.post(step1["Location"], {"pin": pin, "idempotency_key": key}), key


def test_paying_the_next_instalment_end_to_end(
    logged_client, loan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        confirm, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 25))
    page = confirm.content.decode()
    assert "Paso 2 de 2" in page and "Firma" in page and "Confirmar" in page
    assert "Bs 1,31" in page and "Bs 889,80" in page  # penalty, then the total
    assert done.status_code == 302
    payment = LoanPayment.objects.get()
    assert done["Location"] == reverse("loans:receipt", args=[payment.pk])
    with on(date(2026, 2, 25)):
        receipt = logged_client.get(done["Location"]).content.decode()
    assert payment.receipt_number in receipt and "Bs 889,80" in receipt
    assert loan.instalments.get(number=1).status == InstalmentStatus.PAID
    assert OutboxMessage.objects.filter(subject__contains=payment.receipt_number).exists()
    assert ledger_breaches() == []


def test_double_submit_of_the_confirmation_pays_once(logged_client, loan):
    _, done, key = _pay_through_views(logged_client, loan, day=date(2026, 2, 10))
    with on(date(2026, 2, 10)):
        again = logged_client.post(
            reverse("loans:pay_confirm", args=[loan.pk]), {"pin": PIN, "idempotency_key": key}
        )
    assert again.status_code == 302
    assert again["Location"] == done["Location"]
    assert LoanPayment.objects.count() == 1
    assert Posting.objects.filter(kind=Posting.Kind.LOAN).count() == 2  # disbursement + 1 payment


@pytest.mark.parametrize("key", ["\x00", "a\x00b", "Z" * 32, "x" * 500])
def test_a_malformed_key_at_the_confirmation_is_no_error(logged_client, loan, key):
    """Found by the full-size form fuzz: a NUL byte in the posted key reached PostgreSQL as a
    500. Any key the page could not have carried is simply not a replay."""
    _pay_through_views(logged_client, loan, day=date(2026, 2, 10))
    with on(date(2026, 2, 10)):
        response = logged_client.post(
            reverse("loans:pay_confirm", args=[loan.pk]), {"pin": PIN, "idempotency_key": key}
        )
    assert response.status_code in (200, 302)
    assert LoanPayment.objects.count() == 1


def test_wrong_pin_pays_nothing(logged_client, loan):
    confirm, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 10), pin="9317")
    assert done.status_code == 200
    assert "El PIN no es correcto." in done.content.decode()
    assert not LoanPayment.objects.exists()


def test_the_signed_summary_is_what_the_member_saw(logged_client, loan):
    _pay_through_views(logged_client, loan, day=date(2026, 2, 15))
    signed = AuditEvent.objects.get(event="signature.verified")
    assert signed.new["summary"] == {
        "Préstamo": f"{loan.number} Crédito de consumo",
        "Cuenta origen": loan.account.number,
        "Monto": "Bs 888,49",
    }


def test_malformed_pin_is_refused(logged_client, loan):
    _, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 10), pin="12ab")
    assert done.status_code == 200
    assert "PIN" in done.content.decode()
    assert not LoanPayment.objects.exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("skip_older", "Pague primero la cuota pendiente más antigua"),
        ("foreign_instalment", "Escoja una opción válida"),
        ("foreign_account", "Escoja una opción válida"),
        ("bad_precision", "dos decimales"),  # "10.005": ambiguous too (issue 12)
        ("too_much", "mayor que el total adeudado"),
        ("no_amount", "Ingrese el monto a pagar"),
        ("nothing_chosen", "Elija al menos una cuota"),
    ],
)
def test_bad_payment_input_shows_spanish_errors_and_posts_nothing(
    logged_client, loan, case, message
):
    second = loan.instalments.get(number=2)
    data = {"kind": "instalments", "instalments": [], "source_account": loan.account_id}
    if case == "skip_older":
        data["instalments"] = [second.pk]
    elif case == "foreign_instalment":
        data["instalments"] = [make_loan().instalments.get(number=1).pk]
    elif case == "foreign_account":
        data["instalments"] = [loan.instalments.get(number=1).pk]
        data["source_account"] = make_account(member=make_member(), balance="900").pk
    elif case in ("bad_precision", "too_much", "no_amount"):
        data["kind"] = "amount"
        data["amount"] = {"bad_precision": "10.005", "too_much": "99999", "no_amount": ""}[case]
    before = Posting.objects.count()
    with on(date(2026, 2, 10)):
        response = logged_client.post(reverse("loans:pay", args=[loan.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Posting.objects.count() == before
    assert DRAFT_KEY not in logged_client.session


def test_confirm_without_a_draft_goes_back_to_step_one(logged_client, loan):
    response = logged_client.get(reverse("loans:pay_confirm", args=[loan.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:pay", args=[loan.pk])


def test_insufficient_funds_at_confirmation_is_a_clear_error(logged_client, loan, member):
    empty = make_account(member=member)
    data = {"kind": "amount", "amount": "500.00", "source_account": empty.pk}
    _, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 10), data=data)
    assert done.status_code == 200
    assert "saldo disponible suficiente" in done.content.decode()
    assert not LoanPayment.objects.exists()
    assert ledger_breaches() == []


def test_receipt_of_another_member_is_404(client, loan, member_user):
    client.force_login(member_user)
    _, done, _ = _pay_through_views(client, loan, day=date(2026, 2, 10))
    stranger = make_user(member=make_member())
    client.force_login(stranger)
    with on(date(2026, 2, 10)):
        assert client.get(done["Location"]).status_code == 404


def test_partial_amount_and_payoff_through_views(logged_client, loan):
    data = {"kind": "amount", "amount": "50.00", "source_account": loan.account_id}
    _, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 10), data=data)
    assert done.status_code == 302
    assert loan.instalments.get(number=1).status == InstalmentStatus.PARTIALLY_PAID
    from ledger.services import cash_deposit

    cash_deposit(account=loan.account, amount=Decimal("1000.00"))
    confirm, done, _ = _pay_through_views(
        logged_client,
        loan,
        day=date(2026, 2, 10),
        data={"kind": "payoff", "source_account": loan.account_id},
    )
    assert "intereses de días aún no transcurridos" in confirm.content.decode().lower()
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == "paid_off"
    assert ledger_breaches() == []
    with on(date(2026, 2, 10)):
        again = logged_client.get(reverse("loans:pay", args=[loan.pk]))
    assert again["Location"] == reverse("loans:detail", args=[loan.pk])


@pytest.mark.parametrize("typed", ["50,50", "Bs 50,50", "50.50"])
def test_a_partial_amount_is_typed_the_bolivian_way(logged_client, loan, typed):
    """Issue 12: "500,50" was refused by the loans form (Django's DecimalField); it uses the
    portal's one amount reader now. The step-1 redirect proves the amount was read."""
    data = {"kind": "amount", "amount": typed, "source_account": loan.account_id}
    confirm, done, _ = _pay_through_views(logged_client, loan, day=date(2026, 2, 10), data=data)
    assert "Bs 50,50" in confirm.content.decode()
    assert done.status_code == 302
    assert LoanPayment.objects.get().total == Decimal("50.50")
