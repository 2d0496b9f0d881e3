"""Staff in the admin: the ledger is read-only except the branch window, which posts cash."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from ledger.models import Account, Posting
from tests.conftest import admin_force_login
from tests.factories import make_account, make_member, make_user

pytestmark = pytest.mark.django_db


def _url(account):
    return f"/admin/ledger/account/{account.pk}/ventanilla/"


def test_clerk_posts_a_deposit_and_a_withdrawal(staff_client):
    account = make_account(member=make_member(), balance="100")
    response = staff_client.post(
        _url(account), {"operation": "deposit", "amount": "1.250,50", "description": "Ventanilla"}
    )
    assert response.status_code == 302
    response = staff_client.post(_url(account), {"operation": "withdrawal", "amount": "50"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.balance == Decimal("1300.50")
    assert AuditEvent.objects.filter(event__startswith="ledger.cash_").count() == 2
    assert Account.objects.get(code="VAULT", currency="BOB").balance == Decimal("-1300.50")
    assert ledger_breaches() == []


def test_overdrawing_withdrawal_is_refused_and_nothing_posted(staff_client):
    account = make_account(member=make_member(), balance="100")
    before = Posting.objects.count()
    response = staff_client.post(_url(account), {"operation": "withdrawal", "amount": "100,01"})
    assert response.status_code == 200
    assert "saldo disponible suficiente" in response.content.decode()
    assert Posting.objects.count() == before


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1,001"])
def test_bad_amounts_are_refused(staff_client, amount):
    account = make_account(member=make_member(), balance="100")
    before = Posting.objects.count()
    response = staff_client.post(_url(account), {"operation": "deposit", "amount": amount})
    assert response.status_code == 200
    assert Posting.objects.count() == before


def test_without_the_permission_the_window_is_closed(client):
    viewer = make_user(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_account"))
    admin_force_login(client, viewer)
    account = make_account(member=make_member(), balance="100")
    assert client.get(f"/admin/ledger/account/{account.pk}/change/").status_code == 200
    response = client.post(_url(account), {"operation": "deposit", "amount": "10"})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.balance == Decimal("100")


def test_balances_and_postings_cannot_be_edited(staff_client):
    account = make_account(member=make_member(), balance="100")
    page = staff_client.get(f"/admin/ledger/account/{account.pk}/change/").content.decode()
    assert 'name="balance"' not in page
    response = staff_client.post(
        f"/admin/ledger/account/{account.pk}/change/", {"balance": "999999"}
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.balance == Decimal("100")
    posting = Posting.objects.first()
    assert staff_client.post(f"/admin/ledger/posting/{posting.pk}/delete/").status_code == 403
