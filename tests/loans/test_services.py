"""loans.services: disbursement, penalty accrual, payments — effects on rows and the ledger.

The loan used throughout (tests.loans.helpers.make_loan): 10,000.00 BOB at 12 % a year over
12 monthly instalments disbursed on 15 January 2026, penalty rate 6 % a year; instalment 1 is
due on 15 February 2026: 888.49 = 100.00 interest + 788.49 principal.
"""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from ledger.models import Account, Posting
from ledger.selectors import internal_account_get
from ledger.services import cash_deposit
from loans import services
from loans.exceptions import (
    AmountExceedsDebt,
    CurrencyMismatch,
    InstalmentAlreadyPaid,
    InvalidLoanTerms,
    InvalidPaymentAmount,
    InvalidSelection,
    LoanError,
    OlderInstalmentPending,
    PaymentAlreadyProcessed,
    SourceAccountNotAllowed,
)
from loans.models import Instalment, InstalmentStatus, Loan, LoanPayment
from loans.tasks import accrue_penalties_task
from outbox.models import OutboxMessage
from tests.factories import make_account, make_member, make_user, signed_loan_pay
from tests.loans.helpers import make_loan, new_key

pytestmark = pytest.mark.django_db
LA_PAZ = ZoneInfo("America/La_Paz")


def on(day: date):
    """Travel to noon La Paz time on ``day`` (the clock stands still)."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 12, tzinfo=LA_PAZ), tick=False
    )


def internal(code, currency="BOB"):
    return internal_account_get(code=code, currency=currency).balance


@pytest.fixture
def loan_and_user():
    member = make_member()
    user = make_user(member=member)
    loan = make_loan(member=member)
    return loan, user


def _snapshot(loan):
    loan.account.refresh_from_db()
    return (
        Posting.objects.count(),
        LoanPayment.objects.count(),
        loan.account.balance,
        list(
            loan.instalments.values_list(
                "status", "principal_paid", "interest_paid", "penalty_paid"
            )
        ),
    )


# --- disbursement ---------------------------------------------------------------------------


def test_disbursement_posts_portfolio_to_member_and_builds_schedule():
    portfolio_before = internal("LOAN_PORTFOLIO")
    loan = make_loan()
    loan.account.refresh_from_db()
    assert loan.account.balance == Decimal("10000.00")
    assert internal("LOAN_PORTFOLIO") == portfolio_before - Decimal("10000.00")
    assert loan.disbursement_posting.kind == Posting.Kind.LOAN
    rows = list(loan.instalments.order_by("number"))
    assert len(rows) == 12
    assert (rows[0].due_date, rows[0].principal, rows[0].interest) == (
        date(2026, 2, 15),
        Decimal("788.49"),
        Decimal("100.00"),
    )
    assert sum(r.principal for r in rows) == Decimal("10000.00")
    assert AuditEvent.objects.filter(
        event="loan.disbursed", subject=f"loans.loan:{loan.pk}"
    ).exists()
    assert ledger_breaches() == []


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"principal": "0.00"}, InvalidLoanTerms),
        ({"principal": "100.005"}, InvalidLoanTerms),
        ({"annual_rate": "-1"}, InvalidLoanTerms),
        ({"term": 0}, InvalidLoanTerms),
        ({"currency": "USD"}, CurrencyMismatch),
    ],
)
def test_bad_loan_terms_write_nothing(overrides, error):
    member = make_member()
    account = make_account(member=member, currency="BOB")
    before = (Posting.objects.count(), Loan.objects.count())
    kwargs = {"member": member, "account": account, **overrides}
    with pytest.raises(error):
        make_loan(**kwargs)
    assert (Posting.objects.count(), Loan.objects.count()) == before


def test_disbursement_into_another_members_account_is_refused():
    other_account = make_account(member=make_member())
    with pytest.raises(SourceAccountNotAllowed):
        make_loan(member=make_member(), account=other_account)
    assert not Loan.objects.exists()


# --- penalty accrual ------------------------------------------------------------------------


def test_penalty_accrues_across_dates_and_is_idempotent(loan_and_user):
    loan, _ = loan_and_user
    first = loan.instalments.get(number=1)
    # Due 15 Feb: nothing accrues on the due date itself.
    services.loan_accrue_penalties(as_of=date(2026, 2, 15))
    first.refresh_from_db()
    assert (first.status, first.penalty_accrued) == (InstalmentStatus.PENDING, Decimal("0.00"))
    # 10 days late: 788.49 × 6 % × 10 / 360 = 1.31415, stored exact (charged as 1.31).
    services.loan_accrue_penalties(as_of=date(2026, 2, 25))
    first.refresh_from_db()
    assert (first.status, first.penalty_accrued) == (
        InstalmentStatus.OVERDUE,
        Decimal("1.314150"),
    )
    # Same day again, or an earlier day: nothing more.
    services.loan_accrue_penalties(as_of=date(2026, 2, 25))
    services.loan_accrue_penalties(as_of=date(2026, 2, 20))
    first.refresh_from_db()
    assert first.penalty_accrued == Decimal("1.314150")
    # Ten more days: another 1.31415; instalment 2 (due 15 March) is still pending.
    services.loan_accrue_penalties(as_of=date(2026, 3, 7))
    first.refresh_from_db()
    assert (first.penalty_accrued, first.penalty_accrued_through) == (
        Decimal("2.628300"),
        date(2026, 3, 7),
    )
    assert loan.instalments.get(number=2).status == InstalmentStatus.PENDING


def test_daily_task_accrues_for_today(loan_and_user):
    loan, _ = loan_and_user
    with on(date(2026, 2, 25)):
        accrue_penalties_task.delay()
        accrue_penalties_task.delay()  # a second run the same day adds nothing
    first = loan.instalments.get(number=1)
    assert (first.status, first.penalty_accrued) == (
        InstalmentStatus.OVERDUE,
        Decimal("1.314150"),
    )


def test_penalty_rate_change_applies_from_today_and_is_audited(loan_and_user):
    loan, _ = loan_and_user
    staff = make_user(is_staff=True)
    with on(date(2026, 2, 26)):
        # Closes 10 days (16–25 Feb) at 6 % first, then switches to 12 %.
        services.loan_penalty_rate_update(actor=staff, loan=loan, penalty_rate=Decimal("12"))
    first = loan.instalments.get(number=1)
    assert (first.penalty_accrued, first.penalty_accrued_through) == (
        Decimal("1.314150"),
        date(2026, 2, 25),
    )
    services.loan_accrue_penalties(as_of=date(2026, 3, 7))  # 10 days at 12 % = 2.6283
    first.refresh_from_db()
    assert first.penalty_accrued == Decimal("1.314150") + Decimal("2.628300")
    event = AuditEvent.objects.get(event="loan.penalty_rate_changed")
    assert (event.old, event.new) == ({"penalty_rate": "6.0000"}, {"penalty_rate": "12"})


# --- payments -------------------------------------------------------------------------------


def test_paying_the_next_instalment_on_time(loan_and_user, django_capture_on_commit_callbacks):
    loan, user = loan_and_user
    first = loan.instalments.get(number=1)
    portfolio, interest = internal("LOAN_PORTFOLIO"), internal("INTEREST_INCOME")
    # On the due date: the whole period has run, so its whole interest is charged (paid
    # earlier, only the days run are: see test_prepayment.py).
    with on(date(2026, 2, 15)), django_capture_on_commit_callbacks(execute=True):
        payment = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            instalment_ids=[first.pk],
            idempotency_key=new_key(),
        )
    assert (payment.principal, payment.interest, payment.penalty, payment.total) == (
        Decimal("788.49"),
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("888.49"),
    )
    assert payment.balance_after == Decimal("9211.51")
    loan.account.refresh_from_db()
    assert loan.account.balance == Decimal("10000.00") - Decimal("888.49")
    assert internal("LOAN_PORTFOLIO") == portfolio + Decimal("788.49")
    assert internal("INTEREST_INCOME") == interest + Decimal("100.00")
    assert payment.posting.lines.count() == 3  # no zero penalty line
    first.refresh_from_db()
    assert (first.status, first.paid_on) == (InstalmentStatus.PAID, date(2026, 2, 15))
    email = OutboxMessage.objects.get()
    assert payment.receipt_number in email.subject
    assert "Bs 888,49" in email.body_text
    assert ledger_breaches() == []


def test_overdue_instalment_pays_penalty_interest_principal(loan_and_user):
    loan, user = loan_and_user
    first = loan.instalments.get(number=1)
    penalty_income = internal("PENALTY_INCOME")
    with on(date(2026, 2, 25)):
        payment = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            instalment_ids=[first.pk],
            idempotency_key=new_key(),
        )
    assert (payment.penalty, payment.interest, payment.principal, payment.total) == (
        Decimal("1.31"),
        Decimal("100.00"),
        Decimal("788.49"),
        Decimal("889.80"),
    )
    assert internal("PENALTY_INCOME") == penalty_income + Decimal("1.31")
    first.refresh_from_db()
    assert first.status == InstalmentStatus.PAID
    # Charging rounded the exact accrual (1.31415) once: paid equals accrued.
    assert first.penalty_paid == first.penalty_accrued == Decimal("1.31")
    assert ledger_breaches() == []


def test_partial_amounts_apply_penalty_then_interest_then_principal(loan_and_user):
    loan, user = loan_and_user
    first = loan.instalments.get(number=1)
    with on(date(2026, 2, 25)):
        p1 = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            amount=Decimal("50.00"),
            idempotency_key=new_key(),
        )
    assert (p1.penalty, p1.interest, p1.principal) == (
        Decimal("1.31"),
        Decimal("48.69"),
        Decimal("0.00"),
    )
    first.refresh_from_db()
    assert first.status == InstalmentStatus.OVERDUE
    assert (first.interest_paid, first.principal_paid) == (Decimal("48.69"), Decimal("0.00"))
    assert ledger_breaches() == []
    # Same day: the rest of instalment 1 (51.31 interest + 788.49 principal) plus 10.00 of
    # instalment 2's interest, which is not due yet and so becomes "partially paid".
    with on(date(2026, 2, 25)):
        p2 = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            amount=Decimal("849.80"),
            idempotency_key=new_key(),
        )
    assert (p2.penalty, p2.interest, p2.principal) == (
        Decimal("0.00"),
        Decimal("61.31"),
        Decimal("788.49"),
    )
    first.refresh_from_db()
    second = loan.instalments.get(number=2)
    assert first.status == InstalmentStatus.PAID
    assert (second.status, second.interest_paid) == (
        InstalmentStatus.PARTIALLY_PAID,
        Decimal("10.00"),
    )
    assert p2.balance_after == Decimal("9211.51")
    assert ledger_breaches() == []


def test_early_full_payoff(loan_and_user):
    loan, user = loan_and_user
    cash_deposit(account=loan.account, amount=Decimal("1000.00"))
    portfolio = internal("LOAN_PORTFOLIO")
    # Instalment 1 on its due date (paid on the disbursement day it would cost no interest at
    # all: test_prepayment.py covers that).
    with on(date(2026, 2, 15)):
        signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            instalment_ids=[loan.instalments.get(number=1).pk],
            idempotency_key=new_key(),
        )
    # Paid off on 1 March: 14 of the 28 days of the period 15 Feb – 15 Mar have run, so half of
    # instalment 2's 92.12 interest (46.06) is charged; later interest is waived.
    with on(date(2026, 3, 1)):
        payoff = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            payoff=True,
            idempotency_key=new_key(),
        )
    assert (payoff.principal, payoff.interest, payoff.penalty) == (
        Decimal("9211.51"),
        Decimal("46.06"),
        Decimal("0.00"),
    )
    assert payoff.balance_after == Decimal("0.00")
    loan.refresh_from_db()
    assert loan.status == Loan.Status.PAID_OFF
    assert not loan.instalments.exclude(status=InstalmentStatus.PAID).exists()
    # The whole principal went back to the portfolio.
    assert internal("LOAN_PORTFOLIO") == portfolio + Decimal("10000.00")
    assert ledger_breaches() == []
    with pytest.raises(LoanError):
        signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            amount=Decimal("1.00"),
            idempotency_key=new_key(),
        )


def test_double_submit_pays_once(loan_and_user):
    loan, user = loan_and_user
    key = new_key()
    ids = [loan.instalments.get(number=1).pk]
    with on(date(2026, 2, 1)):
        first = signed_loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            instalment_ids=ids,
            idempotency_key=key,
        )
        before = _snapshot(loan)
        with pytest.raises(PaymentAlreadyProcessed) as caught:
            signed_loan_pay(
                user=user,
                loan=loan,
                source_account=loan.account,
                instalment_ids=ids,
                idempotency_key=key,
            )
    assert caught.value.payment == first
    assert _snapshot(loan) == before
    assert ledger_breaches() == []


def _pay(user, loan, **kwargs):
    kwargs.setdefault("source_account", loan.account)
    kwargs.setdefault("idempotency_key", new_key())
    with on(date(2026, 2, 1)):
        return signed_loan_pay(user=user, loan=loan, **kwargs)


def test_cannot_pay_a_newer_instalment_before_an_older_one(loan_and_user):
    loan, user = loan_and_user
    second = loan.instalments.get(number=2)
    before = _snapshot(loan)
    with pytest.raises(OlderInstalmentPending) as caught:
        _pay(user, loan, instalment_ids=[second.pk])
    assert "1" in caught.value.message
    assert _snapshot(loan) == before


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (Decimal("10.005"), InvalidPaymentAmount),
        (Decimal("0.00"), InvalidPaymentAmount),
        (Decimal("-5.00"), InvalidPaymentAmount),
        (Decimal("NaN"), InvalidPaymentAmount),
        (Decimal("999999.00"), AmountExceedsDebt),
    ],
)
def test_bad_amounts_post_nothing(loan_and_user, amount, error):
    loan, user = loan_and_user
    before = _snapshot(loan)
    with pytest.raises(error):
        _pay(user, loan, amount=amount)
    assert _snapshot(loan) == before


def test_tampered_instalment_lists_post_nothing(loan_and_user):
    loan, user = loan_and_user
    other_loan = make_loan()
    first = loan.instalments.get(number=1)
    before = _snapshot(loan)
    for ids in ([other_loan.instalments.get(number=1).pk], [first.pk, first.pk], [], [987654]):
        with pytest.raises(InvalidSelection):
            _pay(user, loan, instalment_ids=ids)
    with pytest.raises(InvalidSelection):  # two modes at once
        _pay(user, loan, instalment_ids=[first.pk], amount=Decimal("10.00"))
    assert _snapshot(loan) == before


def test_already_paid_instalment_is_refused(loan_and_user):
    loan, user = loan_and_user
    first = loan.instalments.get(number=1)
    _pay(user, loan, instalment_ids=[first.pk])
    before = _snapshot(loan)
    with pytest.raises(InstalmentAlreadyPaid):
        _pay(user, loan, instalment_ids=[first.pk])
    assert _snapshot(loan) == before


def test_insufficient_funds_posts_nothing(loan_and_user):
    loan, user = loan_and_user
    empty = make_account(member=loan.member, currency="BOB")
    before = _snapshot(loan)
    with pytest.raises(LoanError) as caught:
        _pay(user, loan, source_account=empty, instalment_ids=[loan.instalments.get(number=1).pk])
    assert "saldo" in caught.value.message or "balance" in caught.value.message
    assert _snapshot(loan) == before
    assert ledger_breaches() == []


@pytest.mark.parametrize("case", ["foreign", "joint", "usd", "blocked"])
def test_source_account_must_be_the_members_own_in_the_loan_currency(loan_and_user, case):
    loan, user = loan_and_user
    if case == "foreign":
        account = make_account(member=make_member(), balance="5000")
    elif case == "joint":
        account = make_account(
            member=loan.member,
            holder_mode=Account.HolderMode.CONJUNTA,
            co_holders=(make_member(),),
            balance="5000",
        )
    elif case == "usd":
        account = make_account(member=loan.member, currency="USD", balance="5000")
    else:
        account = make_account(member=loan.member, balance="5000")
        Account.objects.filter(pk=account.pk).update(status=Account.Status.BLOCKED)
        account.refresh_from_db()
    before = _snapshot(loan)
    with pytest.raises((SourceAccountNotAllowed, CurrencyMismatch)):
        _pay(user, loan, source_account=account, amount=Decimal("10.00"))
    assert _snapshot(loan) == before


def test_another_members_loan_cannot_be_paid(loan_and_user):
    loan, _ = loan_and_user
    stranger = make_user(member=make_member())
    before = _snapshot(loan)
    with pytest.raises(LoanError):
        _pay(stranger, loan, amount=Decimal("10.00"))
    assert _snapshot(loan) == before


def test_instalment_transitions_are_guarded():
    from loans.models import InvalidTransition

    instalment = Instalment(status=InstalmentStatus.PAID)
    with pytest.raises(InvalidTransition):
        instalment.move_to(InstalmentStatus.OVERDUE)
    instalment = Instalment(status=InstalmentStatus.OVERDUE)
    with pytest.raises(InvalidTransition):
        instalment.move_to(InstalmentStatus.PARTIALLY_PAID)
    instalment.move_to(InstalmentStatus.PAID)
    assert instalment.status == InstalmentStatus.PAID
