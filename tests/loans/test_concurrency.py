"""Two submits of a payment racing on real threads, each with its own PostgreSQL connection:
the loan's row lock serialises them, so the instalment is paid exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ledger.invariants import ledger_breaches
from loans.exceptions import InstalmentAlreadyPaid, PaymentAlreadyProcessed
from loans.models import InstalmentStatus, LoanPayment
from tests.factories import make_member, make_user, signed_loan_pay
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("same_key", "refusal"),
    [(True, PaymentAlreadyProcessed), (False, InstalmentAlreadyPaid)],
    ids=["double-submit", "two-tabs"],
)
def test_racing_payments_pay_once(same_key, refusal):
    member = make_member()
    user = make_user(member=member)
    loan = make_loan(member=member, disbursement_date=timezone.localdate() - timedelta(days=10))
    first = loan.instalments.get(number=1)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(index):
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                signed_loan_pay(
                    user=user,
                    loan=loan,
                    source_account=loan.account,
                    instalment_ids=[first.pk],
                    idempotency_key="race" if same_key else f"race-{index}",
                )
            )
        except Exception as exc:  # noqa: BLE001 - the refusal is the expected outcome
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    payments = [o for o in outcomes if isinstance(o, LoanPayment)]
    refusals = [o for o in outcomes if not isinstance(o, LoanPayment)]
    assert len(payments) == 1, outcomes
    assert len(refusals) == 1 and isinstance(refusals[0], refusal), outcomes
    assert LoanPayment.objects.count() == 1
    first.refresh_from_db()
    assert first.status == InstalmentStatus.PAID
    assert ledger_breaches() == []
