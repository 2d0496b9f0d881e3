"""The demo loader: idempotent, built through the ledger services, and a sound ledger."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Member, User
from demo.data import DEMO_PASSWORD
from ledger.models import Account, Holder, Posting, PostingLine

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Member, User, Account, Holder, Posting, PostingLine)
    }


def test_demo_load_twice_creates_nothing_new_and_the_ledger_audits(capsys):
    call_command("demo_load")
    first = counts()
    assert first["Posting"] > 0
    call_command("demo_load")
    assert counts() == first
    out = capsys.readouterr().out
    assert "0 member(s) and 0 account(s) created" in out
    call_command("ledger_audit")
    assert "ledger audit passed" in capsys.readouterr().out


def test_demo_member_sees_their_accounts(client):
    call_command("demo_load")
    assert client.login(username="mperez", password=DEMO_PASSWORD)
    body = client.get(reverse("ledger:dashboard")).content.decode()
    for number in ("1011000136", "2011000393", "1011000079"):  # own numbers: in full
        assert number in body
    assert "Alterna" in body and "Conjunta" in body  # her joint account with jgomez
    assert "$us " in body and "Bs " in body


def test_demo_load_refuses_under_production_settings_and_writes_nothing(settings):
    from django.core.management.base import CommandError

    before = counts()
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production settings"):
        call_command("demo_load")
    assert counts() == before
    assert not User.objects.filter(username="mperez").exists()
