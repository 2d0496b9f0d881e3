"""The account lookup ("Buscar"), its rate limit and audit, and the new-beneficiary cap."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditEvent
from beneficiaries import selectors, services
from beneficiaries.selectors import LookupStatus
from ledger.models import Account
from tests.factories import make_account, make_member, signed_beneficiary_register_other_bank

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 10, 0, 5, tzinfo=ZoneInfo("America/La_Paz"))


def _lookup(member, number, ip="10.0.0.1", now=NOW):
    return services.account_lookup(number=number, member=member, actor=None, ip_address=ip, now=now)


def test_lookup_shows_only_the_masked_name(member, silvia_account):
    result = _lookup(member, silvia_account.number)
    assert result.status is LookupStatus.FOUND
    assert result.masked_name == "Silvia F*** F***"
    assert result.as_json() == {
        "found": True,
        "name": "Silvia F*** F***",
        "message": "Titular de la cuenta: Silvia F*** F***",
    }


def test_joint_account_shows_the_owner(member, silvia):
    account = make_account(member=silvia, co_holders=(make_member(first_names="Zoe"),))
    assert _lookup(member, account.number).masked_name == "Silvia F*** F***"


def test_unknown_closed_blocked_checking_all_answer_the_same(member, silvia):
    closed = make_account(member=silvia)
    blocked = make_account(member=silvia)
    Account.objects.filter(pk=closed.pk).update(status=Account.Status.CLOSED)
    Account.objects.filter(pk=blocked.pk).update(status=Account.Status.BLOCKED)
    checking = make_account(member=silvia, product_type=Account.ProductType.CHECKING)
    answers = {
        number: _lookup(member, number).as_json()
        for number in ("1999999999", closed.number, blocked.number, checking.number)
    }
    assert len({str(a) for a in answers.values()}) == 1
    assert answers["1999999999"]["found"] is False
    assert answers["1999999999"]["name"] == ""


def test_own_account_is_recognised(member, bob_account):
    result = _lookup(member, bob_account.number)
    assert result.status is LookupStatus.OWN
    assert result.masked_name == ""


def test_every_lookup_is_audited_without_the_name(member, silvia_account):
    _lookup(member, silvia_account.number)
    _lookup(member, "1999999999")
    events = list(AuditEvent.objects.filter(event="beneficiary.lookup").order_by("pk"))
    assert [e.new["result"] for e in events] == ["found", "not_found"]
    assert events[0].subject == f"ledger.account.number:{silvia_account.number}"
    assert events[0].ip_address == "10.0.0.1"
    assert "Silvia" not in str(events[0].new)


def test_eleventh_lookup_in_a_minute_is_refused_per_member(member, silvia_account):
    for i in range(10):
        # Different IPs: only the member's counter can refuse.
        assert _lookup(member, silvia_account.number, ip=f"10.0.1.{i}").found
    refused = _lookup(member, silvia_account.number, ip="10.0.1.99")
    assert refused.status is LookupStatus.REFUSED
    assert refused.masked_name == ""
    assert "Espere un minuto" in refused.message
    assert AuditEvent.objects.filter(new__result="refused").count() == 1
    # The next minute starts a new window.
    assert _lookup(member, silvia_account.number, now=NOW + timedelta(minutes=1)).found


def test_eleventh_lookup_in_a_minute_is_refused_per_ip(silvia_account):
    for _ in range(10):
        assert _lookup(make_member(), silvia_account.number, ip="10.9.9.9").found
    assert _lookup(make_member(), silvia_account.number, ip="10.9.9.9").status is (
        LookupStatus.REFUSED
    )
    # Another address is not affected.
    assert _lookup(make_member(), silvia_account.number, ip="10.9.9.8").found


def test_the_limit_holds_over_any_sixty_seconds_not_per_clock_minute(member, silvia_account):
    """Six lookups just before a minute turns and five just after: the eleventh within 60 s is
    refused (fixed per-minute windows let a burst of twenty through here)."""
    before = NOW.replace(second=55)
    for n in range(10):
        at = before + timedelta(seconds=n * 2)  # 10:00:55 ... 10:01:13
        assert _lookup(member, silvia_account.number, now=at).found
    refused = _lookup(member, silvia_account.number, now=before + timedelta(seconds=30))
    assert refused.status is LookupStatus.REFUSED
    # Refused attempts count too; a minute after the last one there is room again.
    later = before + timedelta(seconds=91)
    assert _lookup(member, silvia_account.number, now=later).found


def test_counters_of_past_windows_are_pruned(member, silvia_account):
    from beneficiaries.models import LookupCounter

    _lookup(member, silvia_account.number)
    _lookup(member, silvia_account.number, now=NOW + timedelta(minutes=3))
    assert LookupCounter.objects.filter(key=f"member:{member.pk}").count() == 1


def _product(member, bank_union, currency="BOB"):
    return signed_beneficiary_register_other_bank(
        owner=member,
        actor=None,
        bank_id=bank_union.pk,
        product_type="savings",
        currency=currency,
        number="0100123456" if currency == "BOB" else "0200123456",
        holder_name="Consultora Silvia",
        document_type="NIT",
        document_number="1023456027",
        alias=f"Sara {currency}",
    )


def test_transfer_cap_during_the_cooling_period(member, bank_union, settings):
    settings.BENEFICIARY_COOLING_PERIOD = timedelta(hours=1)
    settings.BENEFICIARY_COOLING_LIMIT = {"BOB": Decimal("1000.00"), "USD": Decimal("150.00")}
    bob = _product(member, bank_union, "BOB")
    usd = _product(member, bank_union, "USD")
    at = bob.created_at + timedelta(minutes=59)
    assert selectors.beneficiary_transfer_cap(product=bob, at=at) == Decimal("1000.00")
    assert selectors.beneficiary_transfer_cap(product=usd, at=at) == Decimal("150.00")
    message = selectors.beneficiary_transfer_cap_message(product=bob, at=at)
    assert "Sara BOB fue registrado hace poco" in message
    assert "Bs 1.000,00" in message
    later = bob.created_at + timedelta(hours=1)
    assert selectors.beneficiary_transfer_cap(product=bob, at=later) is None
    assert selectors.beneficiary_transfer_cap_message(product=bob, at=later) is None


def test_transfer_cap_follows_the_settings(member, bank_union, settings):
    settings.BENEFICIARY_COOLING_PERIOD = timedelta(hours=24)
    settings.BENEFICIARY_COOLING_LIMIT = {"BOB": Decimal("500"), "USD": Decimal("70")}
    product = _product(member, bank_union)
    at = product.created_at + timedelta(hours=23)
    assert selectors.beneficiary_transfer_cap(product=product, at=at) == Decimal("500")


def test_default_cooling_settings():
    from django.conf import settings

    assert timedelta(hours=1) == settings.BENEFICIARY_COOLING_PERIOD
    assert settings.BENEFICIARY_COOLING_LIMIT["BOB"] == Decimal("1000.00")
