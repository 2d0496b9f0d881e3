"""Scheduled transfers: signing once, dates across month ends and leap years, the La Paz
clock, the catch-up rule, failures, holds, pausing, and exactly-once under two runners."""

import threading
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from ledger.invariants import ledger_breaches
from notices.models import Notice, NoticeKind
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed,
    signed_beneficiary_register_member,
)
from transfers import scheduled as sched
from transfers.events import TransferEvent, TransferPurpose
from transfers.exceptions import TransferError
from transfers.models import (
    DailyLimit,
    ScheduledOccurrence,
    ScheduledTransfer,
    Transfer,
    TransferType,
)
from transfers.services import TransferOrder

pytestmark = pytest.mark.django_db
LA_PAZ = zoneinfo.ZoneInfo("America/La_Paz")


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LA_PAZ)


def _order(source, destination, **overrides) -> TransferOrder:
    fields = {
        "transfer_type": TransferType.OWN,
        "source_account_id": source.pk,
        "destination_account_id": destination.pk,
        "currency": source.currency,
        "amount": Decimal("100.00"),
        "description": "Alquiler",
    }
    fields.update(overrides)
    return TransferOrder(**fields)


def _create(user, order, schedule, **kwargs) -> ScheduledTransfer:
    signature = signed(
        user,
        purpose=TransferPurpose.SCHEDULE,
        fingerprint=sched.schedule_fingerprint(user=user, order=order, schedule=schedule),
    )
    return sched.scheduled_create(
        user=user,
        order=order,
        schedule=schedule,
        destination_label="Caja de ahorro X000X-123",
        idempotency_key=kwargs.pop("key", uuid.uuid4().hex),
        signature=signature,
        **kwargs,
    )


@pytest.fixture
def owner():
    return make_user(member=make_member(), email="titular@example.com")


# -- dates ------------------------------------------------------------------------------------


def test_day_31_falls_on_the_last_day_of_shorter_months():
    schedule = sched.Schedule(kind="monthly", start_date=date(2027, 1, 1), day_of_month=31, times=5)
    assert sched.schedule_dates(schedule) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_day_29_in_a_leap_year_and_not():
    leap = sched.Schedule(kind="monthly", start_date=date(2028, 1, 30), day_of_month=29, times=2)
    assert sched.schedule_dates(leap) == [date(2028, 2, 29), date(2028, 3, 29)]
    common = sched.Schedule(kind="monthly", start_date=date(2027, 1, 30), day_of_month=29, times=2)
    assert sched.schedule_dates(common) == [date(2027, 2, 28), date(2027, 3, 29)]


def test_last_day_of_the_month_and_year_end():
    schedule = sched.Schedule(
        kind="monthly", start_date=date(2027, 11, 15), day_of_month=0, end_date=date(2028, 3, 1)
    )
    assert sched.schedule_dates(schedule) == [
        date(2027, 11, 30),
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
    ]


def test_weekly_until_a_date():
    schedule = sched.Schedule(
        kind="weekly", start_date=date(2027, 2, 22), end_date=date(2027, 3, 15)
    )
    assert sched.schedule_dates(schedule) == [
        date(2027, 2, 22),
        date(2027, 3, 1),
        date(2027, 3, 8),
        date(2027, 3, 15),
    ]


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (sched.Schedule(kind="once", start_date=date(2027, 3, 1)), "start_date"),  # today
        (sched.Schedule(kind="weekly", start_date=date(2027, 3, 2)), "end_date"),  # no end
        (sched.Schedule(kind="monthly", start_date=date(2027, 3, 2), times=3), "day_of_month"),
        (sched.Schedule(kind="weekly", start_date=date(2027, 3, 2), times=0), "end_date"),
        (sched.Schedule(kind="weekly", start_date=date(2027, 3, 2), times=500), "times"),
        (sched.Schedule(kind="yearly", start_date=date(2027, 3, 2), times=2), "kind"),
        (
            sched.Schedule(kind="weekly", start_date=date(2027, 3, 9), end_date=date(2027, 3, 2)),
            "end_date",
        ),
    ],
)
def test_bad_schedules_are_refused_with_a_message(schedule, field):
    with pytest.raises(TransferError) as caught:
        sched.schedule_check(schedule, today=date(2027, 3, 1))
    assert caught.value.field == field
    assert caught.value.message


# -- signing ----------------------------------------------------------------------------------


def test_the_order_needs_its_own_receipt(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    order = _order(a, b)
    schedule = sched.Schedule(kind="once", start_date=timezone.localdate() + timedelta(days=3))
    other = sched.Schedule(kind="once", start_date=timezone.localdate() + timedelta(days=4))
    wrong = [
        None,
        # Signed over another date, another amount, by another user, for a one-off transfer.
        signed(
            owner,
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=sched.schedule_fingerprint(user=owner, order=order, schedule=other),
        ),
        signed(
            owner,
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=sched.schedule_fingerprint(
                user=owner, order=_order(a, b, amount=Decimal("1.00")), schedule=schedule
            ),
        ),
        signed(
            make_user(member=make_member()),
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=sched.schedule_fingerprint(user=owner, order=order, schedule=schedule),
        ),
        signed(
            owner,
            purpose="transfer.execute",
            fingerprint=sched.schedule_fingerprint(user=owner, order=order, schedule=schedule),
        ),
    ]
    for receipt in wrong:
        with pytest.raises(TransferError):
            sched.scheduled_create(
                user=owner,
                order=order,
                schedule=schedule,
                destination_label="x",
                idempotency_key=uuid.uuid4().hex,
                signature=receipt,
            )
    assert not ScheduledTransfer.objects.exists()
    good = signed(
        owner,
        purpose=TransferPurpose.SCHEDULE,
        fingerprint=sched.schedule_fingerprint(user=owner, order=order, schedule=schedule),
    )
    made = sched.scheduled_create(
        user=owner,
        order=order,
        schedule=schedule,
        destination_label="x",
        idempotency_key="k1",
        signature=good,
    )
    assert made.next_due_date == schedule.start_date
    # The same receipt cannot make a second order.
    with pytest.raises(TransferError):
        sched.scheduled_create(
            user=owner,
            order=order,
            schedule=schedule,
            destination_label="x",
            idempotency_key="k2",
            signature=good,
        )
    assert ScheduledTransfer.objects.count() == 1


def test_another_members_account_cannot_be_the_source(owner):
    stranger_account = make_account(member=make_member(), balance="1000")
    mine = make_account(member=owner.member)
    schedule = sched.Schedule(kind="once", start_date=timezone.localdate() + timedelta(days=3))
    with pytest.raises(TransferError):
        _create(owner, _order(stranger_account, mine), schedule)
    assert not ScheduledTransfer.objects.exists()


def test_resume_needs_a_pin_receipt_and_cancel_does_not(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    schedule = sched.Schedule(
        kind="weekly", start_date=timezone.localdate() + timedelta(days=2), times=4
    )
    order = _create(owner, _order(a, b), schedule)
    sched.scheduled_pause(user=owner, scheduled_id=order.pk)
    with pytest.raises(TransferError):
        sched.scheduled_resume(user=owner, scheduled_id=order.pk, signature=None)
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.PAUSED
    receipt = signed(
        owner,
        purpose=TransferPurpose.SCHEDULE_RESUME,
        fingerprint=sched.schedule_resume_fingerprint(scheduled=order),
    )
    sched.scheduled_resume(user=owner, scheduled_id=order.pk, signature=receipt)
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.ACTIVE
    # Another member cannot touch it.
    stranger = make_user(member=make_member())
    with pytest.raises(TransferError):
        sched.scheduled_cancel(user=stranger, scheduled_id=order.pk)
    sched.scheduled_cancel(user=owner, scheduled_id=order.pk)
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.CANCELLED
    assert order.next_due_date is None


def test_amending_the_amount_needs_a_receipt_over_the_new_amount(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    schedule = sched.Schedule(kind="once", start_date=timezone.localdate() + timedelta(days=2))
    order = _create(owner, _order(a, b), schedule)
    over_other = signed(
        owner,
        purpose=TransferPurpose.SCHEDULE_AMEND,
        fingerprint=sched.schedule_amend_fingerprint(scheduled=order, amount=Decimal("5.00")),
    )
    with pytest.raises(TransferError):
        sched.scheduled_amend(
            user=owner, scheduled_id=order.pk, amount=Decimal("900.00"), signature=over_other
        )
    order.refresh_from_db()
    assert order.amount == Decimal("100.00")
    chained = sched.schedule_amend_fingerprint(scheduled=order, amount=Decimal("250.00"))
    good = signed(owner, purpose=TransferPurpose.SCHEDULE_AMEND, fingerprint=chained)
    updated_before = order.updated_at
    sched.scheduled_amend(
        user=owner, scheduled_id=order.pk, amount=Decimal("250.00"), signature=good
    )
    order.refresh_from_db()
    assert order.amount == Decimal("250.00")
    # The stored authority chains the old one and covers the new amount; the audit keeps the
    # amounts only (not the fingerprint).
    assert order.signed_fingerprint == chained
    assert order.updated_at > updated_before
    amended = AuditEvent.objects.get(event=TransferEvent.SCHEDULE_AMENDED)
    assert (amended.subject, amended.old, amended.new) == (
        f"transfers.scheduledtransfer:{order.pk}",
        {"amount": "100.00"},
        {"amount": "250.00"},
    )


# -- running ------------------------------------------------------------------------------------


def _monthly(owner, *, day, start, times=None, amount="100.00", **order_fields):
    a = order_fields.pop("source", None) or make_account(member=owner.member, balance="1000")
    b = order_fields.pop("destination", None) or make_account(member=owner.member)
    schedule = sched.Schedule(kind="monthly", start_date=start, day_of_month=day, times=times or 3)
    with time_machine.travel(at(start - timedelta(days=1)), tick=False):
        order = _create(owner, _order(a, b, amount=Decimal(amount), **order_fields), schedule)
    return order, a, b


def test_runs_on_la_paz_dates_not_utc(owner):
    order, a, b = _monthly(owner, day=5, start=date(2027, 3, 1))
    # 23:30 on the 4th in La Paz is already the 5th in UTC: not yet.
    with time_machine.travel(at(date(2027, 3, 4), 23, 30), tick=False):
        assert sched.scheduled_run_due() == 0
    with time_machine.travel(at(date(2027, 3, 5), 0, 5), tick=False):
        assert sched.scheduled_run_due() == 1
        assert sched.scheduled_run_due() == 0  # a second run the same day does nothing
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (Decimal("900.00"), Decimal("100.00"))
    occurrence = ScheduledOccurrence.objects.get()
    assert occurrence.status == ScheduledOccurrence.Status.POSTED
    assert occurrence.transfer.scheduled_occurrence == occurrence
    order.refresh_from_db()
    assert order.next_due_date == date(2027, 4, 5)
    assert ledger_breaches() == []


def test_month_ends_and_a_leap_february_with_the_clock_moving(owner):
    order, a, _b = _monthly(owner, day=0, start=date(2028, 1, 10), times=3)
    for day in (date(2028, 1, 31), date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 30)):
        with time_machine.travel(at(day), tick=False):
            sched.scheduled_run_due()
    dates = list(
        ScheduledOccurrence.objects.order_by("due_date").values_list("due_date", flat=True)
    )
    assert dates == [date(2028, 1, 31), date(2028, 2, 29)]
    with time_machine.travel(at(date(2028, 3, 31)), tick=False):
        sched.scheduled_run_due()
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.FINISHED
    assert order.next_due_date is None
    a.refresh_from_db()
    assert a.balance == Decimal("700.00")


def test_beat_down_two_days_catches_up_once_each(owner):
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    schedule = sched.Schedule(kind="weekly", start_date=date(2027, 3, 1), times=10)
    with time_machine.travel(at(date(2027, 2, 27)), tick=False):
        order = _create(owner, _order(a, b), schedule)
    with time_machine.travel(at(date(2027, 3, 3)), tick=False):  # two days late
        assert sched.scheduled_run_due() == 1
        assert sched.scheduled_run_due() == 0
    occurrence = ScheduledOccurrence.objects.get()
    assert (occurrence.due_date, occurrence.status) == (date(2027, 3, 1), "posted")
    order.refresh_from_db()
    assert order.next_due_date == date(2027, 3, 8)


def test_dates_older_than_the_catch_up_window_are_skipped_and_told(owner, settings):
    settings.SCHEDULED_TRANSFER_CATCH_UP_DAYS = 3
    a = make_account(member=owner.member, balance="1000")
    b = make_account(member=owner.member)
    schedule = sched.Schedule(kind="weekly", start_date=date(2027, 3, 1), times=10)
    with time_machine.travel(at(date(2027, 2, 27)), tick=False):
        _create(owner, _order(a, b), schedule)
    # Down for ten days: the 1st is 10 days late (skipped), the 8th is 3 (made).
    with time_machine.travel(at(date(2027, 3, 11)), tick=False):
        assert sched.scheduled_run_due() == 2
    by_date = dict(ScheduledOccurrence.objects.values_list("due_date", "status"))
    assert by_date == {date(2027, 3, 1): "skipped", date(2027, 3, 8): "posted"}
    a.refresh_from_db()
    assert a.balance == Decimal("900.00")
    assert Notice.objects.filter(user=owner, kind=NoticeKind.SCHEDULED).count() == 1


def test_a_failure_is_told_and_three_in_a_row_pause_the_order(owner):
    order, a, _b = _monthly(owner, day=10, start=date(2027, 3, 1), times=6, amount="5000.00")
    for month in (3, 4, 5):
        with time_machine.travel(at(date(2027, month, 10)), tick=False):
            assert sched.scheduled_run_due() == 1
    occurrences = list(ScheduledOccurrence.objects.order_by("due_date"))
    assert [o.status for o in occurrences] == ["failed"] * 3
    assert "saldo" in occurrences[0].reason.lower()
    assert not Transfer.objects.exists()
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.PAUSED
    assert order.consecutive_failures == 3
    notices = Notice.objects.filter(user=owner, kind=NoticeKind.SCHEDULED)
    assert notices.count() == 4  # three failures and the pause
    assert OutboxMessage.objects.filter(recipient="titular@example.com").count() == 4
    with time_machine.travel(at(date(2027, 6, 10)), tick=False):
        assert sched.scheduled_run_due() == 0  # paused: nothing runs
    a.refresh_from_db()
    assert a.balance == Decimal("1000.00")


def test_a_success_resets_the_failure_count(owner):
    order, a, _b = _monthly(owner, day=10, start=date(2027, 3, 1), times=6, amount="600.00")
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()  # 1000 -> 400
    with time_machine.travel(at(date(2027, 4, 10)), tick=False):
        sched.scheduled_run_due()  # fails
    order.refresh_from_db()
    assert order.consecutive_failures == 1
    assert order.status == ScheduledTransfer.Status.ACTIVE
    assert order.next_due_date == date(2027, 5, 10)


def test_a_deleted_beneficiary_fails_the_date(owner):
    from beneficiaries.models import ThirdPartyProduct

    payee = make_account(member=make_member())
    product = signed_beneficiary_register_member(
        owner=owner.member, actor=owner, number=payee.number, alias="Casero"
    )
    source = make_account(member=owner.member, balance="1000")
    order, _a, _b = _monthly(
        owner,
        day=10,
        start=date(2027, 3, 1),
        source=source,
        destination=payee,
        transfer_type=TransferType.THIRD_PARTY,
        destination_account_id=None,
        beneficiary_id=product.pk,
    )
    ThirdPartyProduct.objects.filter(pk=product.pk).update(deleted_at=timezone.now())
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    occurrence = ScheduledOccurrence.objects.get()
    assert occurrence.status == "failed"
    assert "ya no está disponible" in occurrence.reason
    source.refresh_from_db()
    assert source.balance == Decimal("1000.00")


def test_a_closed_source_account_fails_the_date(owner):
    order, a, _b = _monthly(owner, day=10, start=date(2027, 3, 1))
    a.__class__.objects.filter(pk=a.pk).update(status=a.Status.CLOSED)
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    assert ScheduledOccurrence.objects.get().status == "failed"


def test_a_posting_refused_after_the_rows_are_written_fails_the_date_and_leaves_nothing(
    owner, monkeypatch
):
    """The ledger refusing under the lock, after the transfer and its audit row were written:
    the attempt is undone whole (no savepoint on the success path), and the date is recorded
    as failed with the ledger's reason, told, and counted, in a transaction of its own."""
    from ledger.exceptions import AccountNotOperational
    from transfers import services

    order, a, b = _monthly(owner, day=10, start=date(2027, 3, 1))

    def refused(**kwargs):
        assert Transfer.objects.exists()  # the rows are written when the ledger refuses
        raise AccountNotOperational()

    monkeypatch.setattr(services.ledger, "posting_create", refused)
    audited = AuditEvent.objects.count()
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        assert sched.scheduled_run_due() == 1
    occurrence = ScheduledOccurrence.objects.get()
    assert occurrence.status == ScheduledOccurrence.Status.FAILED
    assert occurrence.reason == str(AccountNotOperational().message)
    assert occurrence.transfer is None
    assert not Transfer.objects.exists()
    assert AuditEvent.objects.count() == audited
    # Told once (the failure's notice and its email); no receipt of the undone transfer.
    assert Notice.objects.filter(user=owner, kind=NoticeKind.SCHEDULED).count() == 1
    assert OutboxMessage.objects.filter(recipient="titular@example.com").count() == 1
    order.refresh_from_db()
    assert (order.consecutive_failures, order.next_due_date) == (1, date(2027, 4, 10))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (Decimal("1000.00"), Decimal("0.00"))


def test_the_daily_limit_applies_to_each_date(owner):
    DailyLimit.objects.update_or_create(
        transfer_type=TransferType.OWN, defaults={"amount_bob": Decimal("50.00")}
    )
    _monthly(owner, day=10, start=date(2027, 3, 1))
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    occurrence = ScheduledOccurrence.objects.get()
    assert occurrence.status == "failed"
    assert "límite" in occurrence.reason


def test_over_the_regulatory_amount_without_declarations_the_date_is_held(owner):
    a = make_account(member=owner.member, balance="20000")
    b = make_account(member=owner.member)
    _monthly(owner, day=10, start=date(2027, 3, 1), amount="8000.00", source=a, destination=b)
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    occurrence = ScheduledOccurrence.objects.get()
    assert occurrence.status == "held"
    a.refresh_from_db()
    assert a.balance == Decimal("20000.00")
    assert Notice.objects.filter(user=owner, kind=NoticeKind.SCHEDULED).exists()
    # With declarations in the signed order the same date posts.
    c = make_account(member=owner.member, balance="20000")
    _monthly(
        owner,
        day=11,
        start=date(2027, 3, 1),
        amount="8000.00",
        source=c,
        destination=b,
        funds_origin="Ahorros",
        funds_destination="Alquiler",
    )
    with time_machine.travel(at(date(2027, 3, 11)), tick=False):
        sched.scheduled_run_due()
    assert ScheduledOccurrence.objects.get(due_date=date(2027, 3, 11)).status == "posted"


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_post_each_date_once():
    owners = [make_user(member=make_member()) for _ in range(6)]
    accounts = []
    for owner in owners:
        a = make_account(member=owner.member, balance="1000")
        b = make_account(member=owner.member)
        accounts.append(a)
        schedule = sched.Schedule(kind="weekly", start_date=date(2027, 3, 1), times=2)
        with time_machine.travel(at(date(2027, 2, 27)), tick=False):
            _create(owner, _order(a, b), schedule)
    errors, counts = [], []
    barrier = threading.Barrier(3)

    def runner():
        try:
            barrier.wait()
            counts.append(sched.scheduled_run_due())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    # One clock for all three runners (time-machine patches the process).
    with time_machine.travel(at(date(2027, 3, 1)), tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sum(counts) == 6
    assert ScheduledOccurrence.objects.filter(status="posted").count() == 6
    assert Transfer.objects.count() == 6
    for a in accounts:
        a.refresh_from_db()
        assert a.balance == Decimal("900.00")
    assert ledger_breaches() == []


def test_the_regulatory_export_marks_scheduled_dates_and_staff_can_pause(
    owner, staff_client, staff_user
):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(
        Permission.objects.get(codename="view_transfer"),
        Permission.objects.get(codename="view_scheduledtransfer"),
    )
    a = make_account(member=owner.member, balance="20000")
    b = make_account(member=owner.member)
    order, _a, _b = _monthly(
        owner,
        day=10,
        start=date(2027, 3, 1),
        amount="8000.00",
        source=a,
        destination=b,
        funds_origin="Ahorros",
        funds_destination="Alquiler",
    )
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    transfer = Transfer.objects.get()
    response = staff_client.post(
        "/admin/transfers/transfer/",
        {"action": "export_regulatory_csv", "_selected_action": [transfer.pk]},
    )
    lines = response.content.decode().splitlines()
    assert lines[0].endswith(",programada")
    assert lines[1].endswith(f",{order.pk}")
    assert (
        staff_client.get(f"/admin/transfers/scheduledtransfer/{order.pk}/change/").status_code
        == 200
    )
    staff_client.post(
        "/admin/transfers/scheduledtransfer/",
        {"action": "pause_orders", "_selected_action": [order.pk]},
    )
    order.refresh_from_db()
    assert order.status == ScheduledTransfer.Status.PAUSED


def test_runners_take_their_share_of_members_and_sweep_what_another_left():
    owners = [make_user(member=make_member()) for _ in range(4)]
    for owner in owners:
        a = make_account(member=owner.member, balance="1000")
        b = make_account(member=owner.member)
        schedule = sched.Schedule(kind="weekly", start_date=date(2027, 3, 1), times=2)
        with time_machine.travel(at(date(2027, 2, 27)), tick=False):
            _create(owner, _order(a, b), schedule)
    odd = {o.member_id for o in owners if o.member_id % 2 == 1}
    with time_machine.travel(at(date(2027, 3, 1)), tick=False):
        taken = sched._due_ids(today=date(2027, 3, 1), share=1, shares=2)
        assert {ScheduledTransfer.objects.get(pk=pk).member_id for pk in taken} == odd
        assert len(taken) == len(odd)
        for pk in taken:
            assert sched.scheduled_run_next(order_id=pk).order_id == pk
            assert sched.scheduled_run_next(order_id=pk) is None  # that date is done
        # The runner of share 0 "died": any runner's sweep posts the rest, once each.
        assert sched.scheduled_run_due(share=1, shares=2) == len(owners) - len(odd)
        assert sched.scheduled_run_due(share=0, shares=2) == 0
    assert ScheduledOccurrence.objects.filter(status="posted").count() == len(owners)
    assert ledger_breaches() == []


def test_within_a_run_the_days_figures_are_kept_briefly_and_never_outside_it(monkeypatch):
    from transfers import run_figures

    reads = []

    def read():
        reads.append(1)
        return len(reads)

    assert run_figures.kept(("x",), read) == 1
    assert run_figures.kept(("x",), read) == 2  # outside a run: read every time
    with run_figures.run_figures_kept():
        assert run_figures.kept(("x",), read) == 3
        assert run_figures.kept(("x",), read) == 3  # kept
        assert run_figures.kept(("y",), read) == 4  # per key
        monkeypatch.setattr(run_figures, "KEEP_SECONDS", 0.0)
        assert run_figures.kept(("x",), read) == 5  # no longer than KEEP_SECONDS
    assert run_figures.kept(("x",), read) == 6


def test_a_fee_changed_between_runs_applies_to_the_next_date(owner):
    from transfers.models import FeeBand

    order, a, _b = _monthly(owner, day=10, start=date(2027, 3, 1), times=3)
    with time_machine.travel(at(date(2027, 3, 10)), tick=False):
        sched.scheduled_run_due()
    FeeBand.objects.filter(transfer_type=TransferType.OWN, currency="BOB").update(
        fixed_fee=Decimal("2.00")
    )
    with time_machine.travel(at(date(2027, 4, 10)), tick=False):
        sched.scheduled_run_due()
    fees = list(Transfer.objects.order_by("pk").values_list("fee_amount", flat=True))
    assert fees[-1] == Decimal("2.00")
    a.refresh_from_db()
    assert a.balance == Decimal("1000.00") - 200 - sum(fees)
