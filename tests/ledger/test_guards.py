"""The database guards the ledger (ledger migration 0005): raw SQL that skips ledger.services
tries to break each invariant, and PostgreSQL refuses it.

The balancing and balance checks are deferred to COMMIT, so these tests commit for real
(``transactional_db``) rather than living inside the usual rolled-back test transaction.
"""

import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from ledger import services
from ledger.exceptions import DuplicatePosting, InsufficientFunds
from ledger.invariants import ledger_breaches
from ledger.models import Account, Posting, PostingLine
from ledger.services import Line
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db(transaction=True)


def _posting(cursor) -> int:
    cursor.execute(
        "INSERT INTO ledger_posting (kind, description, booked_at) "
        "VALUES ('transfer', 'raw', now()) RETURNING id"
    )
    return cursor.fetchone()[0]


def _line(cursor, posting_id: int, account: Account, amount: str, balance_after: str) -> None:
    cursor.execute(
        "INSERT INTO ledger_postingline "
        "(posting_id, account_id, amount, currency, balance_after, booked_at, description) "
        "VALUES (%s, %s, %s, %s, %s, now(), 'raw')",
        [posting_id, account.pk, Decimal(amount), account.currency, Decimal(balance_after)],
    )


@pytest.fixture
def pair():
    a = make_account(member=make_member(), balance="100")
    b = make_account(member=make_member(), balance="100")
    return a, b


def _committed_state():
    return (
        Posting.objects.count(),
        PostingLine.objects.count(),
        sorted(Account.objects.values_list("pk", "balance")),
    )


def test_an_unbalanced_posting_is_refused_at_commit(pair):
    a, b = pair
    before = _committed_state()
    with pytest.raises(IntegrityError, match="does not sum to zero"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            posting_id = _posting(cursor)
            _line(cursor, posting_id, a, "10", "110")
            _line(cursor, posting_id, b, "-9", "91")
    assert _committed_state() == before


@pytest.mark.parametrize("lines", [0, 1])
def test_a_posting_with_fewer_than_two_lines_is_refused_at_commit(pair, lines):
    a, _ = pair
    before = _committed_state()
    with pytest.raises(IntegrityError, match="at least two"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            posting_id = _posting(cursor)
            if lines:
                _line(cursor, posting_id, a, "10", "110")
    assert _committed_state() == before


def test_a_line_slipped_into_a_committed_posting_is_refused(pair):
    a, b = pair
    posting = services.posting_create(
        kind="transfer",
        description="x",
        lines=[Line(a.pk, Decimal("-5")), Line(b.pk, Decimal("5"))],
    )
    with pytest.raises(IntegrityError, match="does not sum to zero"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            _line(cursor, posting.pk, a, "-1", "94")
    assert posting.lines.count() == 2


def test_balanced_lines_written_in_several_statements_commit(pair):
    """Deferred, not immediate: a posting may be written line by line inside a transaction."""
    a, b = pair
    with transaction.atomic(), connection.cursor() as cursor:
        posting_id = _posting(cursor)
        _line(cursor, posting_id, a, "-5", "95")
        _line(cursor, posting_id, b, "5", "105")
        cursor.execute("UPDATE ledger_account SET balance = 95 WHERE id = %s", [a.pk])
        cursor.execute("UPDATE ledger_account SET balance = 105 WHERE id = %s", [b.pk])
    assert ledger_breaches() == []


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_postingline SET amount = amount + 1 WHERE account_id = %(a)s",
        "UPDATE ledger_postingline SET description = 'edited' WHERE account_id = %(a)s",
        "DELETE FROM ledger_postingline WHERE account_id = %(a)s",
        "UPDATE ledger_posting SET description = 'edited' "
        "WHERE id IN (SELECT posting_id FROM ledger_postingline WHERE account_id = %(a)s)",
        "UPDATE ledger_posting SET booked_at = booked_at - interval '1 year' "
        "WHERE id IN (SELECT posting_id FROM ledger_postingline WHERE account_id = %(a)s)",
        "DELETE FROM ledger_posting "
        "WHERE id IN (SELECT posting_id FROM ledger_postingline WHERE account_id = %(a)s)",
    ],
)
def test_postings_and_lines_are_append_only(pair, sql):
    a, _ = pair
    before = _committed_state()
    lines_before = list(PostingLine.objects.values_list("pk", "amount", "description"))
    with pytest.raises(IntegrityError, match="append-only"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"a": a.pk})
    assert _committed_state() == before
    assert list(PostingLine.objects.values_list("pk", "amount", "description")) == lines_before


@pytest.mark.parametrize("new_balance", ["1000000", "99.99", "0"])
def test_a_balance_cannot_move_without_a_line(pair, new_balance):
    a, _ = pair
    with pytest.raises(IntegrityError, match="without a line"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE ledger_account SET balance = %s WHERE id = %s", [Decimal(new_balance), a.pk]
            )
    a.refresh_from_db()
    assert a.balance == Decimal("100")


def test_a_line_of_another_account_does_not_cover_a_balance_change(pair):
    a, b = pair
    with pytest.raises(IntegrityError, match="without a line"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            posting_id = _posting(cursor)
            _line(cursor, posting_id, b, "-5", "95")
            _line(cursor, posting_id, b, "5", "100")
            cursor.execute("UPDATE ledger_account SET balance = 1000 WHERE id = %s", [a.pk])
    a.refresh_from_db()
    assert a.balance == Decimal("100")


def test_an_account_cannot_be_opened_with_a_balance():
    member_account = make_account(member=make_member())
    with pytest.raises(IntegrityError, match="without a line"):  # noqa: SIM117 - COMMIT is inside
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_account (number, kind, product_type, holder_mode, currency, "
                "name, code, balance, status, opened_at) "
                "SELECT number || 'X', kind, product_type, holder_mode, currency, name, code, "
                "500, status, opened_at FROM ledger_account WHERE id = %s",
                [member_account.pk],
            )


def test_other_account_fields_still_change(pair):
    """Only the balance is guarded: staff still freeze and reopen accounts."""
    a, _ = pair
    Account.objects.filter(pk=a.pk).update(status=Account.Status.BLOCKED)
    a.refresh_from_db()
    a.status = Account.Status.OPEN
    a.save()  # a full save writes the (unchanged) balance column too
    a.refresh_from_db()
    assert a.status == Account.Status.OPEN and a.balance == Decimal("100")


def test_a_stale_instance_cannot_write_back_an_old_balance(pair):
    """The classic lost update: an instance read before a posting, saved after it."""
    a, b = pair
    stale = Account.objects.get(pk=a.pk)
    services.posting_create(
        kind="transfer",
        description="x",
        lines=[Line(a.pk, Decimal("-60")), Line(b.pk, Decimal("60"))],
    )
    with pytest.raises(IntegrityError, match="without a line"), transaction.atomic():
        stale.save()
    a.refresh_from_db()
    assert a.balance == Decimal("40")


def test_refusals_leave_the_callers_transaction_usable(pair):
    """The function returns its refusals instead of raising: a service that catches one inside
    its own transaction can go on, as before the posting became a database function."""
    a, b = pair
    services.posting_create(
        kind="transfer",
        description="x",
        lines=[Line(a.pk, Decimal("-1")), Line(b.pk, Decimal("1"))],
        idempotency_key="k1",
    )
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            services.posting_create(
                kind="transfer",
                description="x",
                lines=[Line(a.pk, Decimal("-1000")), Line(b.pk, Decimal("1000"))],
            )
        with pytest.raises(DuplicatePosting):
            services.posting_create(
                kind="transfer",
                description="x",
                lines=[Line(a.pk, Decimal("-1")), Line(b.pk, Decimal("1"))],
                idempotency_key="k1",
            )
        services.posting_create(
            kind="transfer",
            description="x",
            lines=[Line(a.pk, Decimal("-2")), Line(b.pk, Decimal("2"))],
        )
    a.refresh_from_db()
    assert a.balance == Decimal("97")
    assert ledger_breaches() == []


def test_accounts_are_locked_lowest_id_first(pair, live_server_db_url):
    """Another session holds the LOWER id; a posting naming the higher id first must wait for
    it without having locked the higher one (else two such postings deadlock)."""
    a, b = sorted(pair, key=lambda account: account.pk)
    other = psycopg.connect(live_server_db_url, autocommit=False)
    probe = psycopg.connect(live_server_db_url, autocommit=False)
    try:
        other.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [a.pk])
        errors = []

        def post():
            try:
                services.posting_create(
                    kind="transfer",
                    description="x",
                    lines=[Line(b.pk, Decimal("-5")), Line(a.pk, Decimal("5"))],
                )
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=post)
        thread.start()
        # Wait until the posting is queued behind the lock on the lower id.
        for _ in range(100):
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s",
                ["%ledger_posting_create%"],
            ).fetchone()[0]
            probe.rollback()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the posting never waited for the lower id"
        # The higher id is free: the posting has not taken it before the lower one.
        probe.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE NOWAIT", [b.pk])
        probe.rollback()
        other.rollback()
        thread.join(10)
        assert not thread.is_alive() and errors == []
    finally:
        other.close()
        probe.close()
    b.refresh_from_db()
    assert b.balance == Decimal("95")


@pytest.fixture
def live_server_db_url():
    settings_dict = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
