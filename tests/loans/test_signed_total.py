"""A loan payment posts exactly what the member was shown and signed, or nothing.

Before: the confirmation's POST recomputed the breakdown and signed the new figure, so penalty
accrued between showing the page (before midnight) and "Confirmar" (after it) was charged
without the member having seen it.
"""

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
from loans import selectors
from loans.exceptions import PaymentChanged
from loans.models import LoanPayment
from tests.factories import make_user, signed_loan_pay
from tests.loans.helpers import make_loan, new_key

pytestmark = pytest.mark.django_db
LA_PAZ = ZoneInfo("America/La_Paz")
PIN = "4826"


def on(day: date, hour: int = 12, minute: int = 0):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, minute, tzinfo=LA_PAZ), tick=False
    )


def pay(user, loan, **kwargs):
    """The one place these tests call loan_pay (it takes a signature receipt after merging)."""
    return signed_loan_pay(
        user=user, loan=loan, source_account=loan.account, idempotency_key=new_key(), **kwargs
    )


@pytest.fixture(autouse=True)
def _member_pin(request):
    if {"logged_client", "member_user"} & set(request.fixturenames):
        pin_set(user=request.getfixturevalue("member_user"), pin=PIN, notify=False)


def test_penalty_accrued_between_showing_and_signing_is_refused_and_nothing_posted(
    logged_client, member
):
    loan = make_loan(member=member)  # instalment 1 due 15 Feb 2026, 888.49
    first = loan.instalments.get(number=1)
    url = reverse("loans:pay", args=[loan.pk])
    with on(date(2026, 2, 25), 23, 58):
        step1 = logged_client.post(
            url,
            {"kind": "instalments", "instalments": [first.pk], "source_account": loan.account_id},
        )
        confirm = logged_client.get(step1["Location"])
    assert "Bs 889,80" in confirm.content.decode()  # 10 days of penalty: 1,31
    key = confirm.context["form"]["idempotency_key"].value()
    postings = Posting.objects.count()
    # The member signs three minutes later, after midnight: one more day of penalty (1,45).
    with on(date(2026, 2, 26), 0, 1):
        late = logged_client.post(step1["Location"], {"pin": PIN, "idempotency_key": key})
    assert late.status_code == 200
    page = late.content.decode()
    assert "El monto a pagar cambió desde que se le mostró" in page
    assert "Bs 889,94" in page  # the new figure, shown for a new signature
    assert not LoanPayment.objects.exists()
    assert Posting.objects.count() == postings
    # What was signed was the figure shown, never the recomputed one.
    signed = AuditEvent.objects.filter(event="signature.verified").latest("pk")
    assert signed.new["summary"]["Monto"] == "Bs 889,80"
    # Signing the page now showing the new figure pays exactly that.
    with on(date(2026, 2, 26), 0, 2):
        done = logged_client.post(step1["Location"], {"pin": PIN, "idempotency_key": key})
    assert done.status_code == 302
    payment = LoanPayment.objects.get()
    assert payment.total == Decimal("889.94")
    signed = AuditEvent.objects.filter(event="signature.verified").latest("pk")
    assert signed.new["summary"]["Monto"] == "Bs 889,94"
    assert ledger_breaches() == []


def test_the_service_refuses_a_stale_fingerprint_with_nothing_written():
    loan = make_loan()
    user = make_user(member=loan.member)
    first = loan.instalments.get(number=1)
    with on(date(2026, 2, 25)):
        summary = selectors.loan_summary(loan=loan, as_of=date(2026, 2, 25))
        shown = selectors.payment_fingerprint(
            loan=loan,
            source_account_id=loan.account_id,
            breakdown=selectors.payment_breakdown(summary=summary, instalment_ids=[first.pk]),
        )
    before = Posting.objects.count()
    with on(date(2026, 2, 26)), pytest.raises(PaymentChanged):
        pay(user, loan, instalment_ids=[first.pk], expected_fingerprint=shown)
    assert Posting.objects.count() == before
    assert not LoanPayment.objects.exists()
    with on(date(2026, 2, 25)):
        payment = pay(user, loan, instalment_ids=[first.pk], expected_fingerprint=shown)
    assert payment.total == Decimal("889.80")
