"""A loan's disbursement date: not after today, not more than a year back — in the service
and in the admin form, with a Spanish message and nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger.models import Posting
from loans import services
from loans.exceptions import InvalidLoanTerms
from loans.models import Loan
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db


def _grant(disbursement_date):
    member = make_member()
    return services.loan_create_and_disburse(
        actor=None,
        member=member,
        account=make_account(member=member),
        product_name="Crédito de consumo",
        currency="BOB",
        principal=Decimal("1000.00"),
        annual_rate=Decimal("12"),
        term=6,
        disbursement_date=disbursement_date,
        penalty_rate=Decimal("6"),
    )


@pytest.mark.parametrize(
    ("days_ago", "message"),
    [
        (-1, "no puede ser posterior a hoy"),
        (-400, "no puede ser posterior a hoy"),
        (366, "no puede ser de hace más de 365 días"),
        (3650, "no puede ser de hace más de 365 días"),  # 2016 typed for 2026
    ],
)
def test_the_service_refuses_out_of_range_dates_and_writes_nothing(days_ago, message):
    before = Posting.objects.count()
    with pytest.raises(InvalidLoanTerms, match=message):
        _grant(timezone.localdate() - timedelta(days=days_ago))
    assert not Loan.objects.exists()
    assert Posting.objects.count() == before


@pytest.mark.parametrize("days_ago", [0, 1, 365])
def test_the_service_accepts_today_and_up_to_a_year_back(days_ago):
    loan = _grant(timezone.localdate() - timedelta(days=days_ago))
    assert loan.disbursement_date == timezone.localdate() - timedelta(days=days_ago)


@pytest.mark.parametrize(
    ("days_ago", "message"),
    [(-1, "no puede ser posterior a hoy"), (366, "no puede ser de hace más de 365 días")],
)
def test_the_admin_form_shows_the_spanish_error_and_grants_nothing(staff_client, days_ago, message):
    member = make_member()
    account = make_account(member=member)
    day = timezone.localdate() - timedelta(days=days_ago)
    response = staff_client.post(
        reverse("admin:loans_loan_add"),
        {
            "member": member.pk,
            "account": account.pk,
            "product_name": "Crédito de vivienda",
            "currency": "BOB",
            "principal": "10000.00",
            "annual_rate": "12",
            "term": "12",
            "frequency": "monthly",
            "disbursement_date": day.strftime("%d/%m/%Y"),
            "penalty_rate": "6",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors["disbursement_date"])
    assert not Loan.objects.exists()
    assert not Posting.objects.filter(kind=Posting.Kind.LOAN).exists()
