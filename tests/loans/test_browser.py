"""A member pays the next (overdue) instalment in Chromium, finding everything by its label."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services.pin import pin_set
from ledger.invariants import ledger_breaches
from loans.models import InstalmentStatus, LoanPayment
from tests.factories import make_member, make_user
from tests.loans.helpers import make_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_pays_the_next_instalment(browser_page):
    member = make_member(first_names="Rosa", last_names="Condori")
    user = make_user(member=member, username="rcondori", password="Cancionero45")
    pin_set(user=user, pin="4826", notify=False)
    # Disbursed 40 days ago: instalment 1 is ten days overdue.
    loan = make_loan(member=member, disbursement_date=timezone.localdate() - timedelta(days=40))
    page = browser_page
    page.goto("/ingresar/")
    page.get_by_label("Usuario").fill("rcondori")
    page.get_by_label("Contraseña").fill("Cancionero45")
    page.get_by_role("button", name="Confirmar").click()

    page.get_by_role("navigation", name="Menú principal").get_by_text(
        "Préstamos", exact=True
    ).click()
    page.get_by_role("link", name="Mis préstamos").click()
    page.get_by_role("link", name=re.compile(loan.number)).click()
    page.get_by_role("heading", name="Plan de pagos").wait_for()
    page.get_by_role("link", name="Pagar cuotas").click()

    page.get_by_role("heading", name="Pago de préstamos").wait_for()
    page.get_by_label("Cuotas seleccionadas").check()
    instalment_1 = page.get_by_label(re.compile(r"^Cuota 1 —"))
    instalment_1.check()
    assert page.get_by_label(re.compile(r"^Cuota 2 —")).is_checked() is False
    page.get_by_role("radio", name=re.compile(loan.account.number)).check()
    page.get_by_role("button", name="Siguiente").click()

    page.get_by_role("heading", name=re.compile("Paso 2 de 2")).wait_for()
    page.get_by_label("PIN").fill("4826")
    page.get_by_role("button", name="Confirmar").click()

    page.get_by_role("heading", name="Comprobante de pago").wait_for()
    payment = LoanPayment.objects.get()
    assert page.get_by_text(payment.receipt_number).is_visible()
    assert payment.penalty > Decimal("0")
    assert loan.instalments.get(number=1).status == InstalmentStatus.PAID
    assert ledger_breaches() == []
