"""Pago de préstamos, "Cuenta origen": radios labelled like the transfers' (issue 14), the
loan's account preselected, else the first account."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from loans.forms import PaymentForm
from loans.selectors import loan_summary
from tests.factories import make_account
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db


def _checked(html: str) -> list[str]:
    tags = re.findall(r"<input [^>]*name=\"source_account\"[^>]*>", html)
    return [re.search(r'value="(\d+)"', tag).group(1) for tag in tags if " checked" in tag]


def test_the_loans_account_is_preselected_and_reads_product_number_balance(logged_client, member):
    other = make_account(member=member, balance="10")
    loan = make_loan(member=member)
    html = logged_client.get(reverse("loans:pay", args=[loan.pk])).content.decode()
    assert 'type="radio" name="source_account"' in html
    assert _checked(html) == [str(loan.account_id)]
    assert f'Caja de Ahorros {other.number} <span class="money">Bs 10,00</span>' in html


def test_without_the_loans_account_the_first_one_is_preselected(member):
    loan = make_loan(member=member)
    first, second = make_account(member=member), make_account(member=member)
    form = PaymentForm(
        summary=loan_summary(loan=loan, as_of=timezone.localdate()), accounts=[first, second]
    )
    assert _checked(str(form["source_account"])) == [str(first.pk)]
