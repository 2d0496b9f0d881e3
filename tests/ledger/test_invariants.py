from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ledger.invariants import ledger_breaches
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db


def test_audit_passes_on_a_sound_ledger(capsys):
    make_account(member=make_member(), balance="10")
    call_command("ledger_audit")
    assert "passed" in capsys.readouterr().out


def test_audit_fails_when_a_balance_is_tampered_with():
    account = make_account(member=make_member(), balance="10")
    with connection.cursor() as cursor:  # bypass the services on purpose
        cursor.execute("UPDATE ledger_account SET balance = 11 WHERE id = %s", [account.pk])
    assert any("stored balance" in b for b in ledger_breaches())
    with pytest.raises(CommandError):
        call_command("ledger_audit")


def test_audit_fails_on_unbalanced_posting():
    account = make_account(member=make_member(), balance="10")
    with connection.cursor() as cursor:
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
