"""audited_update (change some fields of a locked row and audit the change): the audit keeps
each named field before and after as the hand-written sites did (money as str), only the
named fields (and the row's auto_now stamp) are written, and a wrong name changes nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from audit.services import audited_update
from tests.factories import make_member, make_user
from transfers.models import MemberDailyLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit():
    return MemberDailyLimit.objects.create(
        member=make_member(), transfer_type="own", amount_bob=Decimal("100.00")
    )


def test_old_and_new_are_recorded_per_field_as_the_sites_wrote_them(limit):
    clerk = make_user()
    other = make_member()
    old_member = limit.member_id
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    row = audited_update(
        limit,
        actor=clerk,
        event="test.limit_changed",
        ip_address="203.0.113.9",
        amount_bob=Decimal("250.50"),
        pending_effective_at=when,
        member=other,
    )
    assert row == AuditEvent.objects.get()
    assert (row.actor_id, row.event, row.subject, row.ip_address) == (
        clerk.pk,
        "test.limit_changed",
        f"transfers.memberdailylimit:{limit.pk}",
        "203.0.113.9",
    )
    assert row.old == {"amount_bob": "100.00", "pending_effective_at": None, "member": old_member}
    assert row.new == {
        "amount_bob": "250.50",
        "pending_effective_at": when.isoformat(),
        "member": other.pk,
    }
    stored = MemberDailyLimit.objects.get(pk=limit.pk)
    assert (stored.amount_bob, stored.pending_effective_at, stored.member_id) == (
        Decimal("250.50"),
        when,
        other.pk,
    )


def test_only_the_named_fields_and_the_auto_now_stamp_are_written(limit):
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    MemberDailyLimit.objects.filter(pk=limit.pk).update(updated_at=long_ago)
    limit.pending_amount_bob = Decimal("999.00")  # changed in memory, not named: not saved
    audited_update(limit, actor=None, event="test.limit_changed", amount_bob=Decimal("50.00"))
    stored = MemberDailyLimit.objects.get(pk=limit.pk)
    assert stored.amount_bob == Decimal("50.00")
    assert stored.pending_amount_bob is None
    assert stored.updated_at > long_ago + timedelta(days=1)
    audit = AuditEvent.objects.get()
    assert (audit.actor_id, audit.old, audit.new) == (
        None,
        {"amount_bob": "100.00"},
        {"amount_bob": "50.00"},
    )


def test_unaudited_fields_are_written_but_kept_out_of_the_audit(limit):
    audited_update(
        limit,
        actor=None,
        event="test.limit_changed",
        amount_bob=Decimal("70.00"),
        unaudited={"pending_amount_bob": Decimal("80.00")},
    )
    stored = MemberDailyLimit.objects.get(pk=limit.pk)
    assert (stored.amount_bob, stored.pending_amount_bob) == (Decimal("70.00"), Decimal("80.00"))
    audit = AuditEvent.objects.get()
    assert (audit.old, audit.new) == ({"amount_bob": "100.00"}, {"amount_bob": "70.00"})


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_bob": Decimal("1.00"), "amount": Decimal("2.00")},  # no such field
        {"id": 12345},  # the primary key is not a field to change
        {"amount_bob": Decimal("1.00"), "unaudited": {"amount_bob": Decimal("2.00")}},
        {},
    ],
    ids=["unknown", "primary-key", "audited-and-unaudited", "nothing"],
)
def test_a_wrong_call_is_refused_before_anything_changes(limit, changes):
    with pytest.raises(TypeError, match="audited_update"):
        audited_update(limit, actor=None, event="test.limit_changed", **changes)
    assert limit.amount_bob == Decimal("100.00")
    assert MemberDailyLimit.objects.get(pk=limit.pk).amount_bob == Decimal("100.00")
    assert not AuditEvent.objects.exists()


def test_the_error_names_the_model_and_the_field(limit):
    with pytest.raises(TypeError, match=r"transfers\.MemberDailyLimit has no writable field 'amt'"):
        audited_update(limit, actor=None, event="test.limit_changed", amt=Decimal("1.00"))
