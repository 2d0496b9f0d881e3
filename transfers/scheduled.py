"""Scheduled and recurring transfers ("Transferencias programadas").

Signing once
------------
The member signs the WHOLE order once with the PIN: a receipt for
``TransferPurpose.SCHEDULE`` (:mod:`transfers.events`) over :func:`schedule_fingerprint` (type,
source, destination, currency, amount, description, declarations, notification address and the
schedule itself). :func:`scheduled_create` consumes it and stores the order with that
fingerprint; the stored signed order is the authority for every occurrence after that. Resuming
a paused order and changing its amount change what will move, so they take a new receipt each
(``SCHEDULE_RESUME``, ``SCHEDULE_AMEND``); pausing and cancelling only stop money and take none.

Running the dates
-----------------
:func:`scheduled_run_due` (Celery beat, every few minutes, ``transfers.tasks``) takes the
active orders whose next date (a La Paz date) has come, ONE transaction per occurrence: the
order row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (two beat or worker processes
never take the same order), the occurrence row is unique per (order, date) and the transfer's
idempotency key is the occurrence's, so a date posts at most once whatever runs twice. Each
occurrence goes through the very same code as a signed one-off transfer
(``transfers.services._checked`` and ``_transfer_record``, under the member lock): source and
destination still valid, balance, daily limits, the new-beneficiary cap, the fee and the
exchange rate of that day, and the 5-day regulatory rule. The one difference is the
authority: the order's stored signature instead of a fresh receipt (a system path, listed in
``tests/security/test_signature_receipts.py``).

Speed (issue 16: 10,000 dates in under a minute on two cores; bench/README.md): the beat task
fans the run out to the worker's processes (``SCHEDULED_TRANSFER_RUNNERS``), each listing
the due orders of its share of members once and claiming them by id; the claim also takes
the member lock and reads the creator (one statement), and the occurrence row and the
order's next state are one statement. Institution-wide figures (rates, fee schedule) are
kept for a few seconds within a run (``transfers.run_figures`` says why that is still the
day's figures); the receipts are published to the outbox's workers a hundred per task.
Nothing of the member's is kept across dates: an own-account date reads both accounts, both
daily limits and today's and the 5-day totals in one statement under the member lock
(``transfers.services._own_ends``), and a date takes no savepoint (a refusal after its rows
are written undoes the whole attempt and records the date as failed in a new one:
:class:`_WriteRefused`).

Outcomes: ``posted``; ``failed`` with the Spanish reason (funds, limit, a deleted
beneficiary, a closed account…) — the member gets a notice and an email, the order goes on
with its next date, and after ``SCHEDULED_TRANSFER_MAX_FAILURES`` failures in a row it is
paused; ``held`` when the 5-day rule needs declarations the order does not carry — nothing
moves, the member is asked to make that transfer from the wizard with the declarations (a
hold is not counted as a failure).

Missed runs (the job did not run for a while)
---------------------------------------------
Rule chosen: an occurrence at most ``SCHEDULED_TRANSFER_CATCH_UP_DAYS`` (3) days late still
runs, once, at the first run after the outage, with that day's fee, rate and limits (a
beat down for two days catches up: rent due on the 5th is paid on the 7th, not lost); an
older one is marked ``skipped`` with the reason and the member is told, so a long outage
never releases a burst of old payments at once. Either way each date is handled exactly once.

Dates
-----
Weekly: every 7 days from the first date. Monthly: on a day 1–31 — a month without that day
uses its last day (the 31st in April is the 30th; the 29th in February 2027 is the 28th, in
2028 the 29th) — or on "the last day of the month". La Paz has no daylight-saving time; the
job compares La Paz dates (``timezone.localdate``).
"""

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member, User
from accounts.signing import SignatureReceipt, SignatureRefused, fingerprint_of, signature_consume
from audit.services import audit_record, audited_update
from ledger.exceptions import LedgerError
from ledger.models import Account
from ledger.money import format_money
from ledger.retry import atomic_with_retries
from notices.models import NoticeKind
from notices.services import notice_create
from outbox.services import outbox_publishing_batched
from progresonet.sql import names, sql

from .events import TransferEvent, TransferPurpose
from .exceptions import DeclarationsRequired, TransferError
from .models import ScheduledOccurrence, ScheduledTransfer, TransferType
from .quotes import validate_amount
from .run_figures import run_figures_kept
from .services import TransferOrder, _checked, _destination, _own_ends, _source, _transfer_record

MAX_TIMES = 120


@dataclass(frozen=True)
class Schedule:
    kind: str
    start_date: date
    day_of_month: int | None = None  # monthly: 1-31, or ScheduledTransfer.LAST_DAY
    end_date: date | None = None
    times: int | None = None


# -- dates ------------------------------------------------------------------------------------


def _month_day(year: int, month: int, day: int) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if day == ScheduledTransfer.LAST_DAY else min(day, last))


def first_date(schedule: Schedule) -> date:
    """The first date on or after ``start_date`` that fits the schedule."""
    if schedule.kind != ScheduledTransfer.Kind.MONTHLY:
        return schedule.start_date
    start = schedule.start_date
    candidate = _month_day(start.year, start.month, schedule.day_of_month)
    if candidate < start:
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        candidate = _month_day(year, month, schedule.day_of_month)
    return candidate


def date_after(*, kind: str, current: date, day_of_month: int | None) -> date | None:
    """The date after ``current`` (None for a one-off order)."""
    if kind == ScheduledTransfer.Kind.ONCE:
        return None
    if kind == ScheduledTransfer.Kind.WEEKLY:
        return current + timedelta(days=7)
    year, month = (
        (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
    )
    return _month_day(year, month, day_of_month)


def schedule_dates(schedule: Schedule, *, limit: int = 12) -> list[date]:
    """The first ``limit`` dates of a schedule (for the summary the member signs)."""
    found: list[date] = []
    current: date | None = first_date(schedule)
    while current is not None and len(found) < limit:
        if schedule.end_date and current > schedule.end_date:
            break
        if schedule.times and len(found) >= schedule.times:
            break
        found.append(current)
        current = date_after(
            kind=schedule.kind, current=current, day_of_month=schedule.day_of_month
        )
    return found


def schedule_describe(schedule: Schedule) -> str:
    """The schedule in words, as the signed summary states it."""
    start = schedule.start_date.strftime("%d/%m/%Y")
    if schedule.kind == ScheduledTransfer.Kind.ONCE:
        return _("Once, on %(date)s") % {"date": start}
    if schedule.kind == ScheduledTransfer.Kind.WEEKLY:
        text = _("Every week from %(date)s") % {"date": start}
    elif schedule.day_of_month == ScheduledTransfer.LAST_DAY:
        text = _("Every month on the last day, from %(date)s") % {"date": start}
    else:
        text = _("Every month on day %(day)s, from %(date)s") % {
            "day": schedule.day_of_month,
            "date": start,
        }
    if schedule.end_date:
        text += ", " + _("until %(date)s") % {"date": schedule.end_date.strftime("%d/%m/%Y")}
    if schedule.times:
        text += ", " + _("%(times)s times") % {"times": schedule.times}
    return text


def schedule_check(schedule: Schedule, *, today: date | None = None) -> None:
    """Refuse a schedule that cannot run, with a Spanish message."""
    today = today or timezone.localdate()
    if schedule.kind not in ScheduledTransfer.Kind.values:
        raise TransferError(_("Choose how often the transfer is made."), field="kind")
    if schedule.start_date <= today:
        raise TransferError(
            _("The first date must be after today (to transfer today, use Confirm)."),
            field="start_date",
        )
    if schedule.start_date > today + timedelta(days=366):
        raise TransferError(_("The first date must be within a year."), field="start_date")
    if schedule.kind == ScheduledTransfer.Kind.MONTHLY and not (
        schedule.day_of_month is not None and 0 <= schedule.day_of_month <= 31
    ):
        raise TransferError(_("Choose the day of the month."), field="day_of_month")
    if schedule.kind != ScheduledTransfer.Kind.ONCE:
        if not schedule.end_date and not schedule.times:
            raise TransferError(
                _("Say until when or how many times the transfer is made."), field="end_date"
            )
        if schedule.times is not None and not 1 <= schedule.times <= MAX_TIMES:
            raise TransferError(
                _("The number of times must be between 1 and %(max)s.") % {"max": MAX_TIMES},
                field="times",
            )
        if schedule.end_date and schedule.end_date < first_date(schedule):
            raise TransferError(
                _("The end date must be on or after the first date."), field="end_date"
            )
        if schedule.end_date and schedule.end_date > today + timedelta(days=366 * 10):
            raise TransferError(_("The end date must be within ten years."), field="end_date")


# -- signing ----------------------------------------------------------------------------------


def _destination_part(order: TransferOrder) -> str:
    return "|".join(
        str(part)
        for part in (
            order.destination_account_id,
            order.beneficiary_id,
            order.bank_id,
            order.destination_number,
            order.destination_currency,
        )
    )


def schedule_fingerprint(*, user, order: TransferOrder, schedule: Schedule) -> str:
    """What the member's PIN signs for :func:`scheduled_create`: the whole order and its
    schedule (no quote: each date is priced on the day, at that day's fee and rate)."""
    return fingerprint_of(
        TransferPurpose.SCHEDULE,
        user.pk,
        order.transfer_type,
        order.source_account_id,
        _destination_part(order),
        order.currency,
        validate_amount(order.amount),
        order.description.strip(),
        order.notify_email.strip(),
        order.funds_origin.strip(),
        order.funds_destination.strip(),
        schedule.kind,
        schedule.start_date.isoformat(),
        schedule.day_of_month,
        schedule.end_date.isoformat() if schedule.end_date else "",
        schedule.times,
    )


def schedule_resume_fingerprint(*, scheduled: ScheduledTransfer) -> str:
    return fingerprint_of(
        TransferPurpose.SCHEDULE_RESUME,
        scheduled.pk,
        scheduled.signed_fingerprint,
        scheduled.amount,
    )


def schedule_amend_fingerprint(*, scheduled: ScheduledTransfer, amount: Decimal) -> str:
    return fingerprint_of(
        TransferPurpose.SCHEDULE_AMEND,
        scheduled.pk,
        scheduled.signed_fingerprint,
        validate_amount(amount),
    )


# -- member services ---------------------------------------------------------------------------


def _order_of(scheduled: ScheduledTransfer) -> TransferOrder:
    return TransferOrder(
        transfer_type=scheduled.transfer_type,
        source_account_id=scheduled.source_account_id,
        destination_account_id=scheduled.destination_account_id,
        beneficiary_id=scheduled.beneficiary_id,
        currency=scheduled.currency,
        amount=scheduled.amount,
        description=scheduled.description,
        notify_email=scheduled.notify_email,
        funds_origin=scheduled.funds_origin,
        funds_destination=scheduled.funds_destination,
    )


def _refuse(exc: SignatureRefused) -> TransferError:
    return TransferError(exc.message)


def scheduled_create(
    *,
    user,
    order: TransferOrder,
    schedule: Schedule,
    destination_label: str,
    idempotency_key: str,
    signature: SignatureReceipt,
    ip_address: str | None = None,
) -> ScheduledTransfer:
    """Store a signed scheduled order (once per ``idempotency_key``). The order's shape is
    checked now (source, destination, amount, schedule); balance, limits and the regulatory
    rule are checked on each date, with that day's figures."""
    if user.member_id is None:
        raise TransferError(_("Only members can make transfers."))
    if order.register_alias.strip():
        raise TransferError(
            _("To schedule a transfer to a new account, register the account first."),
            field="destination",
        )
    if order.transfer_type == TransferType.OTHER_BANK and order.beneficiary_id is None:
        raise TransferError(
            _("To schedule a transfer to another bank, choose a registered product."),
            field="destination",
        )
    schedule_check(schedule)
    amount = validate_amount(order.amount)

    def work() -> ScheduledTransfer:
        signature_consume(
            signature=signature,
            user=user,
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=schedule_fingerprint(user=user, order=order, schedule=schedule),
        )
        Member.objects.select_for_update().filter(pk=user.member_id).exists()
        existing = ScheduledTransfer.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if existing.created_by_id != user.pk:
                raise TransferError()
            return existing
        if order.transfer_type == TransferType.OWN:
            source, destination, _figures = _own_ends(
                member_id=user.member_id, order=order, now=timezone.now()
            )
        else:
            source = _source(member_id=user.member_id, account_id=order.source_account_id)
            destination = _destination(member_id=user.member_id, order=order)
        if source.holder_mode == Account.HolderMode.CONJUNTA:
            raise TransferError(
                _("Transfers from a joint account cannot be scheduled."), field="source_account"
            )
        first = first_date(schedule)
        scheduled = ScheduledTransfer.objects.create(
            created_by=user,
            member_id=user.member_id,
            transfer_type=order.transfer_type,
            source_account=source,
            destination_account=destination.account,
            beneficiary=destination.product,
            destination_label=destination_label[:200],
            currency=order.currency,
            amount=amount,
            description=order.description.strip(),
            notify_email=order.notify_email.strip(),
            funds_origin=order.funds_origin.strip(),
            funds_destination=order.funds_destination.strip(),
            kind=schedule.kind,
            start_date=schedule.start_date,
            day_of_month=schedule.day_of_month,
            end_date=schedule.end_date,
            max_occurrences=1 if schedule.kind == ScheduledTransfer.Kind.ONCE else schedule.times,
            next_due_date=first,
            signed_fingerprint=schedule_fingerprint(user=user, order=order, schedule=schedule),
            idempotency_key=idempotency_key,
        )
        audit_record(
            actor=user,
            event=TransferEvent.SCHEDULED,
            subject=scheduled,
            new={
                "type": scheduled.transfer_type,
                "amount": str(amount),
                "currency": scheduled.currency,
                "schedule": schedule_describe(schedule),
            },
            ip_address=ip_address,
        )
        return scheduled

    try:
        with transaction.atomic():
            return work()
    except SignatureRefused as exc:
        raise _refuse(exc) from exc


def _own(*, user, scheduled_id: int) -> ScheduledTransfer:
    scheduled = (
        ScheduledTransfer.objects.select_for_update()
        .filter(pk=scheduled_id, created_by=user)
        .first()
    )
    if scheduled is None:
        raise TransferError(_("Scheduled transfer not found."))
    return scheduled


def schedule_of(scheduled: ScheduledTransfer) -> Schedule:
    return Schedule(
        kind=scheduled.kind,
        start_date=scheduled.start_date,
        day_of_month=scheduled.day_of_month,
        end_date=scheduled.end_date,
        times=scheduled.max_occurrences,
    )


@transaction.atomic
def scheduled_pause(*, user, scheduled_id: int, ip_address: str | None = None) -> ScheduledTransfer:
    """Pause an active order (no PIN: pausing only stops money)."""
    scheduled = _own(user=user, scheduled_id=scheduled_id)
    if scheduled.status != ScheduledTransfer.Status.ACTIVE:
        raise TransferError(_("Only an active scheduled transfer can be paused."))
    scheduled.status = ScheduledTransfer.Status.PAUSED
    scheduled.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=user, event=TransferEvent.SCHEDULE_PAUSED, subject=scheduled, ip_address=ip_address
    )
    return scheduled


@transaction.atomic
def scheduled_cancel(
    *, user, scheduled_id: int, ip_address: str | None = None
) -> ScheduledTransfer:
    """Cancel an order for good (no PIN: cancelling only stops money)."""
    scheduled = _own(user=user, scheduled_id=scheduled_id)
    if scheduled.status not in (ScheduledTransfer.Status.ACTIVE, ScheduledTransfer.Status.PAUSED):
        raise TransferError(_("This scheduled transfer can no longer be cancelled."))
    scheduled.status = ScheduledTransfer.Status.CANCELLED
    scheduled.next_due_date = None
    scheduled.save(update_fields=["status", "next_due_date", "updated_at"])
    audit_record(
        actor=user, event=TransferEvent.SCHEDULE_CANCELLED, subject=scheduled, ip_address=ip_address
    )
    return scheduled


def scheduled_staff_pause(*, clerk, order_ids: list[int], ip_address: str | None = None) -> int:
    """Staff pause active orders from the admin (the member resumes them with the PIN)."""
    paused = 0
    with transaction.atomic():
        for scheduled in ScheduledTransfer.objects.select_for_update().filter(
            pk__in=order_ids, status=ScheduledTransfer.Status.ACTIVE
        ):
            scheduled.status = ScheduledTransfer.Status.PAUSED
            scheduled.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=clerk,
                event=TransferEvent.SCHEDULE_PAUSED_BY_STAFF,
                subject=scheduled,
                ip_address=ip_address,
            )
            paused += 1
    return paused


def scheduled_resume(
    *,
    user,
    scheduled_id: int,
    signature: SignatureReceipt,
    ip_address: str | None = None,
) -> ScheduledTransfer:
    """Resume a paused order (with the PIN: money will move again). Dates that passed while
    it was paused are not made up: the next date is the first one after today."""
    try:
        with transaction.atomic():
            scheduled = _own(user=user, scheduled_id=scheduled_id)
            signature_consume(
                signature=signature,
                user=user,
                purpose=TransferPurpose.SCHEDULE_RESUME,
                fingerprint=schedule_resume_fingerprint(scheduled=scheduled),
            )
            if scheduled.status != ScheduledTransfer.Status.PAUSED:
                raise TransferError(_("Only a paused scheduled transfer can be resumed."))
            today = timezone.localdate()
            current = scheduled.next_due_date or first_date(schedule_of(scheduled))
            while current is not None and current <= today:
                current = date_after(
                    kind=scheduled.kind, current=current, day_of_month=scheduled.day_of_month
                )
            scheduled.next_due_date = current
            scheduled.consecutive_failures = 0
            scheduled.status = ScheduledTransfer.Status.ACTIVE
            if current is None or _beyond_end(scheduled, current):
                scheduled.status = ScheduledTransfer.Status.FINISHED
                scheduled.next_due_date = None
            scheduled.save(
                update_fields=["status", "next_due_date", "consecutive_failures", "updated_at"]
            )
            audit_record(
                actor=user,
                event=TransferEvent.SCHEDULE_RESUMED,
                subject=scheduled,
                ip_address=ip_address,
            )
            return scheduled
    except SignatureRefused as exc:
        raise _refuse(exc) from exc


def scheduled_amend(
    *,
    user,
    scheduled_id: int,
    amount: Decimal,
    signature: SignatureReceipt,
    ip_address: str | None = None,
) -> ScheduledTransfer:
    """Change the amount of an active or paused order (with the PIN)."""
    try:
        with transaction.atomic():
            scheduled = _own(user=user, scheduled_id=scheduled_id)
            amount = validate_amount(amount)
            signature_consume(
                signature=signature,
                user=user,
                purpose=TransferPurpose.SCHEDULE_AMEND,
                fingerprint=schedule_amend_fingerprint(scheduled=scheduled, amount=amount),
            )
            if scheduled.status not in (
                ScheduledTransfer.Status.ACTIVE,
                ScheduledTransfer.Status.PAUSED,
            ):
                raise TransferError(_("This scheduled transfer can no longer be changed."))
            audited_update(
                scheduled,
                actor=user,
                event=TransferEvent.SCHEDULE_AMENDED,
                ip_address=ip_address,
                amount=amount,
                # The stored authority now covers the new amount (and chains the old one).
                unaudited={
                    "signed_fingerprint": schedule_amend_fingerprint(
                        scheduled=scheduled, amount=amount
                    )
                },
            )
            return scheduled
    except SignatureRefused as exc:
        raise _refuse(exc) from exc


# -- the job -----------------------------------------------------------------------------------


def _beyond_end(scheduled: ScheduledTransfer, current: date) -> bool:
    if scheduled.end_date and current > scheduled.end_date:
        return True
    return bool(
        scheduled.max_occurrences and scheduled.occurrences_made >= scheduled.max_occurrences
    )


def _advance(scheduled: ScheduledTransfer) -> None:
    scheduled.occurrences_made += 1
    following = date_after(
        kind=scheduled.kind, current=scheduled.next_due_date, day_of_month=scheduled.day_of_month
    )
    if following is None or _beyond_end(scheduled, following):
        scheduled.next_due_date = None
        if scheduled.status == ScheduledTransfer.Status.ACTIVE:
            scheduled.status = ScheduledTransfer.Status.FINISHED
    else:
        scheduled.next_due_date = following


def _tell(*, scheduled: ScheduledTransfer, due: date, outcome: str, reason: str) -> None:
    notice_create(
        user_id=scheduled.created_by_id,
        kind=NoticeKind.SCHEDULED,
        context={
            "amount": format_money(scheduled.amount, scheduled.currency),
            "destination": scheduled.destination_label,
            "date": due.strftime("%d/%m/%Y"),
            "outcome": outcome,
            "reason": reason,
        },
        link=f"/transferencias/programadas/{scheduled.pk}/",
    )


def _run_one(
    *,
    scheduled: ScheduledTransfer,
    now: datetime,
    refused: TransferError | LedgerError | None = None,
) -> ScheduledOccurrence:
    """Handle ``scheduled.next_due_date`` inside the caller's transaction, the order row and
    the member row locked (:data:`_CLAIM_SQL`). Returns the occurrence, not yet written: the
    caller writes it with the order's new state in one statement (:func:`_record`).
    ``refused``: the error a first attempt at this date met after writing (:class:`_WriteRefused`);
    the date is then recorded as failed with it, nothing attempted."""
    today = timezone.localdate(now)
    due = scheduled.next_due_date
    occurrence = ScheduledOccurrence(order=scheduled, due_date=due, claimed_at=now)
    user = scheduled.created_by
    if (today - due).days > settings.SCHEDULED_TRANSFER_CATCH_UP_DAYS:
        occurrence.status = ScheduledOccurrence.Status.SKIPPED
        occurrence.reason = _(
            "Not made: the date passed %(days)s days ago while the service was unavailable."
        ) % {"days": (today - due).days}
        _tell(scheduled=scheduled, due=due, outcome=_("not made"), reason=occurrence.reason)
        _advance(scheduled)
        return occurrence
    # The member row is locked already (the claim): the same lock as a signed one-off
    # transfer, so limits and totals hold until commit.
    order = _order_of(scheduled)
    try:
        if refused is not None:
            raise refused  # the redo of a date whose writes were refused (scheduled_run_next)
        if not user.is_active:
            raise TransferError(_("Your user is not active."))
        # Reads only: a refusal here has written nothing, so it needs no savepoint (a
        # savepoint around every date cost two round trips on the success path).
        checked = _checked(user=user, order=order, now=now)
    except DeclarationsRequired:
        occurrence.status = ScheduledOccurrence.Status.HELD
        occurrence.reason = _(
            "Held: your accumulated amount in the last 5 days exceeds USD 1000.00 and this "
            "order has no origin and destination of funds. Make this transfer from the wizard "
            "with them."
        )
        _tell(scheduled=scheduled, due=due, outcome=_("held"), reason=occurrence.reason)
    except (TransferError, LedgerError) as exc:
        occurrence.status = ScheduledOccurrence.Status.FAILED
        occurrence.reason = str(exc.message)[:300]
        scheduled.consecutive_failures += 1
        _tell(scheduled=scheduled, due=due, outcome=_("failed"), reason=occurrence.reason)
        if scheduled.consecutive_failures >= settings.SCHEDULED_TRANSFER_MAX_FAILURES:
            scheduled.status = ScheduledTransfer.Status.PAUSED
            _tell(
                scheduled=scheduled,
                due=due,
                outcome=_("order paused"),
                reason=_(
                    "It failed %(times)s times in a row, so it was paused. Resume it from "
                    "Scheduled transfers once the cause is solved."
                )
                % {"times": scheduled.consecutive_failures},
            )
    else:
        try:
            occurrence.transfer = _transfer_record(
                user=user,
                order=replace(order),
                checked=checked,
                idempotency_key=f"scheduled:{scheduled.pk}:{due.isoformat()}",
                signed_fingerprint=scheduled.signed_fingerprint,
                event=TransferEvent.SCHEDULED_POSTED,
            )
        except (TransferError, LedgerError) as exc:
            # Rows are written already (the transfer, its audit row, maybe part of the
            # posting): the whole attempt is undone and the date handled again as refused.
            raise _WriteRefused(order_id=scheduled.pk, due=due, error=exc) from exc
        occurrence.status = ScheduledOccurrence.Status.POSTED
        scheduled.consecutive_failures = 0
    _advance(scheduled)
    return occurrence


class _WriteRefused(Exception):
    """A date refused after its transfer's rows were written (the ledger refusing the posting
    under the lock): the occurrence's transaction is rolled back and the date claimed again,
    to record the refusal with ``error``'s reason and nothing of the half-written transfer."""

    def __init__(self, *, order_id: int, due: date, error: TransferError | LedgerError):
        super().__init__(str(error))
        self.order_id, self.due, self.error = order_id, due, error


# The claim, in one round trip: a due order nobody holds (``SKIP LOCKED``: two runners never
# take the same one), its creator, and a lock on its member — the lock a signed one-off
# transfer takes (``transfer_execute``), waited for if a transfer of that member is running.
# By id (the run's list, :func:`_due_ids`): that order if it is still due; otherwise the first
# due one. Templates of progresonet.sql.
_CLAIM_HEAD = (
    "SELECT {o.columns:o}, {u.columns:u} FROM {o} o "
    "JOIN {u} u ON u.{u.id} = o.{o.created_by} "
    "JOIN {m} m ON m.{m.id} = o.{o.member} "
    "WHERE o.{o.status} = %s AND o.{o.next_due_date} <= %s"
)
_CLAIM_TAIL = (
    " ORDER BY o.{o.next_due_date}, o.{o.id} LIMIT 1 FOR UPDATE OF o SKIP LOCKED FOR UPDATE OF m"
)
_CLAIM_SQL = _CLAIM_HEAD + _CLAIM_TAIL
_CLAIM_BY_ID_SQL = _CLAIM_HEAD + " AND o.{o.id} = %s" + _CLAIM_TAIL


def _claim(*, today: date, order_id: int | None) -> ScheduledTransfer | None:
    params: list = [ScheduledTransfer.Status.ACTIVE, today]
    if order_id is not None:
        params.append(order_id)
    template = _CLAIM_SQL if order_id is None else _CLAIM_BY_ID_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql(template, o=ScheduledTransfer, u=User, m=Member), params)
        row = cursor.fetchone()
    if row is None:
        return None
    orders = names(ScheduledTransfer).columns
    scheduled = orders.instance(row[: len(orders)])
    scheduled.created_by = names(User).columns.instance(row[len(orders) :])
    return scheduled


_RECORD_SQL = (
    # The occurrence row (unique per order and date) and the order's next state, one statement
    # (a template of progresonet.sql).
    "WITH occurrence AS ("
    "INSERT INTO {c} "
    "({c.order}, {c.due_date}, {c.status}, {c.transfer}, {c.reason}, {c.claimed_at}) "
    "VALUES (%s, %s, %s, %s, %s, %s) RETURNING {c.id}) "
    "UPDATE {o} SET {o.status} = %s, {o.next_due_date} = %s, "
    "{o.occurrences_made} = %s, {o.consecutive_failures} = %s, {o.updated_at} = %s "
    "WHERE {o.id} = %s RETURNING (SELECT {c.id} FROM occurrence)"
)


def _record(*, scheduled: ScheduledTransfer, occurrence: ScheduledOccurrence) -> None:
    scheduled.updated_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_RECORD_SQL, c=ScheduledOccurrence, o=ScheduledTransfer),
            [
                scheduled.pk,
                occurrence.due_date,
                occurrence.status,
                occurrence.transfer_id,
                occurrence.reason,
                occurrence.claimed_at,
                scheduled.status,
                scheduled.next_due_date,
                scheduled.occurrences_made,
                scheduled.consecutive_failures,
                scheduled.updated_at,
                scheduled.pk,
            ],
        )
        occurrence.pk = cursor.fetchone()[0]
    occurrence._state.adding = False


def scheduled_run_next(
    *, now: datetime | None = None, order_id: int | None = None
) -> ScheduledOccurrence | None:
    """Claim one due order (SKIP LOCKED) and handle its next date, in one transaction.
    Returns None when nothing is due (or everything due is being handled elsewhere).
    ``order_id``: that order only."""
    now = now or timezone.now()
    today = timezone.localdate(now)

    redo: list[_WriteRefused] = []

    def work() -> ScheduledOccurrence | None:
        claim_id = redo[-1].order_id if redo else order_id
        scheduled = _claim(today=today, order_id=claim_id)
        if scheduled is None:
            return None
        refused = redo[-1].error if redo and scheduled.next_due_date == redo[-1].due else None
        occurrence = _run_one(scheduled=scheduled, now=now, refused=refused)
        _record(scheduled=scheduled, occurrence=occurrence)
        return occurrence

    while True:
        try:
            return _occurrence_unit(work)
        except _WriteRefused as exc:
            redo.append(exc)  # rolled back: the same date again, recorded as refused


def _occurrence_unit(work):
    """One occurrence's transaction. At the top level its own, a deadlock or serialization
    failure retrying the whole claim (``ledger.retry``); inside a caller's transaction (a
    test's, an admin action's) a savepoint, so that a :class:`_WriteRefused` still undoes
    exactly that attempt."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return work()
    return atomic_with_retries(work)


def _due_ids(*, today: date, share: int, shares: int) -> list[int]:
    """The orders due now, oldest date first; with ``shares`` > 1 only the members of this
    share (``member_id % shares``), so parallel runners never queue on one member's lock."""
    due = ScheduledTransfer.objects.filter(
        status=ScheduledTransfer.Status.ACTIVE, next_due_date__lte=today
    )
    if shares > 1:
        due = due.alias(share=F("member_id") % shares).filter(share=share)
    return list(due.order_by("next_due_date", "pk").values_list("pk", flat=True))


def _still_due(scheduled: ScheduledTransfer, *, today: date) -> bool:
    """After one of its dates was handled: has the order another date due (a catch-up)?"""
    return (
        scheduled.status == ScheduledTransfer.Status.ACTIVE
        and scheduled.next_due_date is not None
        and scheduled.next_due_date <= today
    )


def scheduled_run_due(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    share: int = 0,
    shares: int = 1,
) -> int:
    """The periodic job: handle every due date, one transaction each; returns how many.

    The run lists the due orders once and claims each by its id (a claim that searched the
    due-date index from its start would step over every order already handled, and over
    other runners' ones, on every claim), taking each one's dates until none is due (a
    catch-up after an outage), then sweeps for anything still due: a date that came due
    meanwhile, or the share of a runner that died. ``share``/``shares``: the beat task fans
    the run out to ``shares`` workers (``transfers.tasks``), each listing only the members
    of its share.

    The day's institution-wide figures (rates, fee schedule) are kept
    for a few seconds across dates (``transfers.run_figures``); the receipts each committed
    date queued are handed to the outbox's workers a hundred at a time
    (``outbox.services.outbox_publishing_batched``)."""
    handled = 0
    today = timezone.localdate(now)
    with run_figures_kept(), outbox_publishing_batched():
        for order_id in [*_due_ids(today=today, share=share, shares=shares), None]:
            while limit is None or handled < limit:
                occurrence = scheduled_run_next(now=now, order_id=order_id)
                if occurrence is None:
                    break
                handled += 1
                if order_id is not None and not _still_due(occurrence.order, today=today):
                    break  # (no empty claim to find that out)
    return handled
