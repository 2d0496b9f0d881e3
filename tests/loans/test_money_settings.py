"""Loan rates and terms staff can type are bounded by the admin (in Spanish) and by the
database (issue 12, High 5: every staff-editable money setting has database checks)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rate", ["-1", "100.0001", "150", "999.9999"])
def test_clerk_nonsense_penalty_rate_is_refused_in_spanish(staff_client, rate):
    loan = make_loan()
    url = reverse("admin:loans_loan_change", args=[loan.pk])
    management = staff_client.get(url).context["inline_admin_formsets"][0].formset
    data = {f"{management.prefix}-{k}": v for k, v in management.management_form.initial.items()}
    response = staff_client.post(url, {**data, "penalty_rate": rate})
    assert response.status_code == 200
    assert "Las tasas deben estar entre 0 y 100" in response.content.decode()
    loan.refresh_from_db()
    assert loan.penalty_rate == Decimal("6.0000")
    assert not AuditEvent.objects.filter(event="loan.penalty_rate_changed").exists()


@pytest.mark.parametrize(
    "assignment",
    ["penalty_rate = -1", "penalty_rate = 100.5", "annual_rate = 101", "term = 361", "term = 0"],
)
def test_database_refuses_nonsense_loan_terms(assignment):
    loan = make_loan()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE loans_loan SET {assignment} WHERE id = %s", [loan.pk])  # noqa: S608  # nosec B608
    loan.refresh_from_db()
    assert (loan.penalty_rate, loan.annual_rate, loan.term) == (
        Decimal("6.0000"),
        Decimal("12.0000"),
        12,
    )
