"""Staff grant loans in the admin (through the disbursement service) and change only the
penalty rate; the demo loader gives mperez and candina their loans, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from ledger.models import Posting
from loans.models import InstalmentStatus, Loan
from loans.selectors import loan_summary
from tests.factories import make_account, make_member
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db


def _add_data(member, account, **overrides):
    data = {
        "member": member.pk,
        "account": account.pk,
        "product_name": "Crédito de vivienda",
        "currency": account.currency,
        "principal": "10000.00",
        "annual_rate": "12",
        "term": "12",
        "frequency": "monthly",
        # Within the accepted range whenever the suite runs (not after today, <= 1 year back).
        "disbursement_date": (timezone.localdate() - timedelta(days=10)).strftime("%d/%m/%Y"),
        "penalty_rate": "6",
    }
    data.update(overrides)
    return data


def test_staff_grant_a_loan_which_disburses_it(staff_client):
    member = make_member()
    account = make_account(member=member)
    response = staff_client.post(reverse("admin:loans_loan_add"), _add_data(member, account))
    assert response.status_code == 302, response.content.decode()[:3000]
    loan = Loan.objects.get()
    account.refresh_from_db()
    assert account.balance == Decimal("10000.00")
    assert loan.instalments.count() == 12
    assert loan.disbursement_posting.kind == Posting.Kind.LOAN
    assert loan.created_by.username == "clerk"
    assert AuditEvent.objects.filter(event="loan.disbursed").count() == 1
    assert ledger_breaches() == []


@pytest.mark.parametrize(
    ("overrides", "foreign"),
    [({}, True), ({"currency": "USD"}, False), ({"principal": "-5"}, False)],
)
def test_bad_grants_are_refused_with_nothing_posted(staff_client, overrides, foreign):
    member = make_member()
    account = make_account(member=make_member() if foreign else member)
    response = staff_client.post(
        reverse("admin:loans_loan_add"), _add_data(member, account, **overrides)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Loan.objects.exists()
    assert not Posting.objects.filter(kind=Posting.Kind.LOAN).exists()


def test_a_grant_the_service_refuses_after_the_form_passed_returns_to_the_form(
    staff_client, monkeypatch
):
    """The account blocked between the form's check and the disbursement: the service's
    refusal is shown, nothing is written or logged, and staff are back on the add form."""
    from django.contrib.admin.models import LogEntry

    from loans import services
    from loans.exceptions import LoanError

    def refuse(**kwargs):
        raise LoanError("La cuenta de desembolso fue bloqueada.")

    monkeypatch.setattr(services, "loan_create_and_disburse", refuse)
    member = make_member()
    account = make_account(member=member)
    url = reverse("admin:loans_loan_add")
    response = staff_client.post(url, _add_data(member, account), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "La cuenta de desembolso fue bloqueada." in response.content.decode()
    assert not Loan.objects.exists()
    assert not LogEntry.objects.exists()


def test_staff_change_only_the_penalty_rate(staff_client):
    loan = make_loan()
    url = reverse("admin:loans_loan_change", args=[loan.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert list(form.fields) == ["penalty_rate"]  # everything else is read-only
    management = page.context["inline_admin_formsets"][0].formset.management_form
    data = {f"{management.prefix}-{k}": v for k, v in management.initial.items()}
    response = staff_client.post(url, {**data, "penalty_rate": "9", "principal": "1.00"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.penalty_rate, loan.principal) == (Decimal("9.0000"), Decimal("10000.00"))
    event = AuditEvent.objects.get(event="loan.penalty_rate_changed")
    assert event.new == {"penalty_rate": "9"}
    assert staff_client.post(reverse("admin:loans_loan_delete", args=[loan.pk])).status_code == 403


def test_demo_loans_are_loaded_once():
    from demo.data import demo_load

    demo_load()
    demo_load()
    mperez = Loan.objects.get(member__document_number="4871236")
    candina = Loan.objects.get(member__document_number="1020304025")
    assert (mperez.currency, candina.currency) == ("BOB", "USD")
    today = timezone.localdate()
    assert mperez.disbursement_date == today - timedelta(days=40)
    summary = loan_summary(loan=mperez, as_of=today)
    assert [line.instalment.number for line in summary.overdue_lines] == [1]
    assert summary.penalty > 0
    assert not loan_summary(loan=candina, as_of=today).overdue_lines
    assert Loan.objects.count() == 2
    assert mperez.instalments.filter(status=InstalmentStatus.PAID).count() == 0
    assert ledger_breaches() == []
