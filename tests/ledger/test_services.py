"""ledger.services: balanced postings, refusals that write nothing, lock order, retries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ledger import services
from ledger.exceptions import (
    AccountNotOperational,
    DuplicatePosting,
    InsufficientFunds,
    InvalidAmount,
    PostingUnavailable,
    UnbalancedPosting,
)
from ledger.invariants import ledger_breaches
from ledger.models import Account, Posting, PostingLine
from ledger.services import Line
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db


def _counts():
    return Posting.objects.count(), PostingLine.objects.count()


def test_transfer_moves_money_and_keeps_running_balances():
    member = make_member()
    a = make_account(member=member, balance="1000.00")
    b = make_account(member=member, balance="50.00")
    posting = services.posting_create(
        kind=Posting.Kind.TRANSFER,
        description="Entre mis cuentas",
        lines=[Line(a.pk, Decimal("-250.25")), Line(b.pk, Decimal("250.25"))],
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.balance == Decimal("749.75")
    assert b.balance == Decimal("300.25")
    lines = {line.account_id: line for line in posting.lines.all()}
    assert lines[a.pk].balance_after == Decimal("749.75")
    assert lines[b.pk].balance_after == Decimal("300.25")
    assert ledger_breaches() == []


def test_unbalanced_posting_writes_nothing():
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    before = _counts()
    with pytest.raises(UnbalancedPosting):
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(a.pk, Decimal("-10")), Line(b.pk, Decimal("9.99"))],
        )
    assert _counts() == before


def test_currencies_balance_separately():
    bob = make_account(member=make_member(), currency="BOB", balance="100")
    usd = make_account(member=make_member(), currency="USD")
    with pytest.raises(UnbalancedPosting):
        services.posting_create(
            kind="transfer",
            description="BOB into USD without FX legs",
            lines=[Line(bob.pk, Decimal("-68.60")), Line(usd.pk, Decimal("68.60"))],
        )


def test_overdraft_rejected_and_nothing_written():
    a = make_account(member=make_member(), balance="100.00")
    b = make_account(member=make_member())
    before = _counts()
    with pytest.raises(InsufficientFunds):
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(a.pk, Decimal("-100.01")), Line(b.pk, Decimal("100.01"))],
        )
    a.refresh_from_db()
    assert a.balance == Decimal("100.00")
    assert _counts() == before


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("1.005"), Decimal("NaN")])
def test_bad_amounts_rejected(amount):
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    with pytest.raises(InvalidAmount):
        services.posting_create(
            kind="transfer", description="x", lines=[Line(a.pk, -amount), Line(b.pk, amount)]
        )


def test_float_amounts_rejected():
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    with pytest.raises(InvalidAmount):
        services.posting_create(
            kind="transfer", description="x", lines=[Line(a.pk, -0.1), Line(b.pk, 0.1)]
        )


@pytest.mark.parametrize("status", [Account.Status.CLOSED, Account.Status.BLOCKED])
def test_account_not_open_rejected(status):
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    Account.objects.filter(pk=b.pk).update(status=status)
    with pytest.raises(AccountNotOperational):
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(a.pk, Decimal("-1")), Line(b.pk, Decimal("1"))],
        )


def test_idempotency_key_posts_once():
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    lines = [Line(a.pk, Decimal("-10")), Line(b.pk, Decimal("10"))]
    services.posting_create(kind="transfer", description="x", lines=lines, idempotency_key="k1")
    with pytest.raises(DuplicatePosting):
        services.posting_create(kind="transfer", description="x", lines=lines, idempotency_key="k1")
    a.refresh_from_db()
    assert a.balance == Decimal("90")
    assert Posting.objects.filter(idempotency_key="k1").count() == 1


def test_accounts_locked_in_primary_key_order():
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member(), balance="100")
    # Name the higher id first: the lock must still be taken lowest id first.
    with CaptureQueriesContext(connection) as ctx:
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(b.pk, Decimal("-5")), Line(a.pk, Decimal("5"))],
        )
    # One round trip: the lock, the checks and the writes are one call of the database
    # function; that it locks lowest id first is proven in tests/ledger/test_guards.py.
    assert len(ctx.captured_queries) == 1
    assert "ledger_posting_create(" in ctx.captured_queries[0]["sql"]


def test_demo_deposit_and_withdrawal_post_against_the_vault():
    a = make_account(member=make_member())
    services.cash_deposit(account=a, amount=Decimal("500"))
    services.cash_withdrawal(account=a, amount=Decimal("120.50"))
    a.refresh_from_db()
    assert a.balance == Decimal("379.50")
    vault = Account.objects.get(code="VAULT", currency="BOB")
    assert vault.balance == Decimal("-379.50")
    assert ledger_breaches() == []


def test_database_refuses_negative_member_balance():
    """The check constraint holds even if application code skipped the service."""
    from django.db import IntegrityError, transaction

    a = make_account(member=make_member())
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=a.pk).update(balance=Decimal("-0.01"))


@pytest.fixture
def failing_inserts(transactional_db):
    """Make PostgreSQL itself raise serialization_failure on the first N posting inserts.

    A sequence counts attempts because it is not rolled back with the failed transaction.
    """

    def arm(times: int):
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE IF NOT EXISTS test_fail_seq")
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION test_fail_posting() RETURNS trigger AS $$
                BEGIN
                  IF nextval('test_fail_seq') <= {int(times)} THEN
                    RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure';
                  END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql
                """
            )
            cursor.execute(
                "CREATE TRIGGER test_fail_posting BEFORE INSERT ON ledger_posting "
                "FOR EACH ROW EXECUTE FUNCTION test_fail_posting()"
            )

    yield arm
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_fail_posting ON ledger_posting")
        cursor.execute("DROP FUNCTION IF EXISTS test_fail_posting()")
        cursor.execute("DROP SEQUENCE IF EXISTS test_fail_seq")


def test_serialization_failures_are_retried(failing_inserts, settings):
    settings.LEDGER_POSTING_RETRIES = 5
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    failing_inserts(2)
    services.posting_create(
        kind="transfer",
        description="x",
        lines=[Line(a.pk, Decimal("-7")), Line(b.pk, Decimal("7"))],
    )
    a.refresh_from_db()
    assert a.balance == Decimal("93")
    assert ledger_breaches() == []


def test_retries_are_bounded_and_leave_nothing(failing_inserts, settings):
    settings.LEDGER_POSTING_RETRIES = 3
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member())
    before = _counts()
    failing_inserts(3)
    with pytest.raises(PostingUnavailable):
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(a.pk, Decimal("-7")), Line(b.pk, Decimal("7"))],
        )
    a.refresh_from_db()
    assert a.balance == Decimal("100")
    assert _counts() == before


# The account ids, amounts and descriptions reach ledger_posting_create as array literals built
# in Python (services._array_literals): whatever a member types as a description must come
# back exactly, on its own line, and never shift or split the other lines.
@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=60,
    ),
    second=st.sampled_from(['"', "\\", '\\"', "NULL", "{}", "a,b", '","', " ", "", '{"x"}']),
    cents=st.integers(min_value=1, max_value=10**9),
)
def test_line_descriptions_and_amounts_come_back_exactly(first, second, cents):
    member = make_member()
    a = make_account(member=member, balance="10000000.00")
    b = make_account(member=member, balance="0.00")
    amount = Decimal(cents) / 100
    posting = services.posting_create(
        kind=Posting.Kind.TRANSFER,
        description="Entre mis cuentas",
        lines=[Line(a.pk, -amount, first[:200]), Line(b.pk, amount, second)],
    )
    stored = list(posting.lines.order_by("pk").values_list("account_id", "amount", "description"))
    assert stored == [
        (a.pk, -amount, first[:200] or "Entre mis cuentas"),
        (b.pk, amount, second or "Entre mis cuentas"),
    ]
