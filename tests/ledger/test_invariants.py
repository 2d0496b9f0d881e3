import contextlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ledger.invariants import ledger_breaches
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def guards_off(cursor):
    """The database refuses these edits (ledger migration 0005, tests/ledger/test_guards.py);
    the tables' owner can still switch the guards off, and ledger_audit, the second line, must
    still see what that leaves behind. Off for the rest of the test's transaction, which is
    rolled back (so the deferred checks stay off at its end too)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the set-up's own checks run first
    for table in ("ledger_account", "ledger_posting", "ledger_postingline"):
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # noqa: S608 - constant
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield


def test_audit_passes_on_a_sound_ledger(capsys):
    make_account(member=make_member(), balance="10")
    call_command("ledger_audit")
    assert "passed" in capsys.readouterr().out


def test_audit_fails_when_a_balance_is_tampered_with():
    account = make_account(member=make_member(), balance="10")
    with connection.cursor() as cursor, guards_off(cursor):  # bypass the services on purpose
        cursor.execute("UPDATE ledger_account SET balance = 11 WHERE id = %s", [account.pk])
    assert any("stored balance" in b for b in ledger_breaches())
    with pytest.raises(CommandError):
        call_command("ledger_audit")


def test_audit_fails_on_unbalanced_posting():
    account = make_account(member=make_member(), balance="10")
    with connection.cursor() as cursor, guards_off(cursor):
        cursor.execute(
            "UPDATE ledger_postingline SET amount = amount + 1, balance_after = balance_after + 1 "
            "WHERE account_id = %s",
            [account.pk],
        )
        cursor.execute(
            "UPDATE ledger_account SET balance = %s WHERE id = %s", [Decimal("11"), account.pk]
        )
    breaches = ledger_breaches()
    assert any("does not balance" in b for b in breaches)
