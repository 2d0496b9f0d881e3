"""Publishing official exchange rates: append-only, buy ≤ sell, four eyes on big moves.

A rate is evidence: it priced transfers. So a rate is never edited or deleted; a correction is
a new row, in force from the moment it is published. The database holds the rules it can
(migration ``ledger.0004``): UPDATE and DELETE are refused except the single move of a pending
proposal to approved or rejected; an approved official buy rate is never above the official
sell rate in force on the same date (checked at every date from the new row's on); whoever
approves a proposal is not its proposer. These services hold the rest and say it in Spanish
before the database has to:

* A proposal cannot be back-dated (``valid_from`` is today or later): a past date would
  re-price history.
* A proposal further than ``settings.EXCHANGE_RATE_APPROVAL_THRESHOLD`` (2 %) from the rate in
  force on its date, *or* from the rate in force at the start of today, waits for a second
  staff member with ``ledger.approve_exchangerate``. Comparing with the start of the day too
  means a clerk cannot walk the rate 10 % in five 1.9 % steps without a second pair of eyes.
  Within the threshold the rate is in force at once. Both paths write an audit row.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record

from .events import LedgerEvent
from .exceptions import ExchangeRateRefused
from .models import ExchangeRate
from .selectors import exchange_rate_in_force

MAX_RATE = Decimal("999999.9999")
BUY = ExchangeRate.RateType.OFFICIAL_BUY
SELL = ExchangeRate.RateType.OFFICIAL_SELL


def _lock_currency(currency: str) -> None:
    # The same advisory lock the buy ≤ sell trigger takes: proposals and approvals of one
    # currency are checked one at a time, so two concurrent rows cannot each pass alone.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"ledger_exchangerate:{currency}"]
        )


def _rates_on(*, currency: str, on: date, extra: tuple[str, Decimal, date] | None):
    """Buy and sell in force on ``on`` if ``extra`` (type, rate, valid_from) were published now."""
    found = {}
    for rate_type in (BUY, SELL):
        row = exchange_rate_in_force(rate_type=rate_type, on=on, currency=currency)
        found[rate_type] = (row.valid_from, row.rate) if row else None
    if extra is not None:
        rate_type, rate, valid_from = extra
        current = found[rate_type]
        # Published now, the new row wins every row of its date or older.
        if valid_from <= on and (current is None or current[0] <= valid_from):
            found[rate_type] = (valid_from, rate)
    return (found[BUY] or (None, None))[1], (found[SELL] or (None, None))[1]


def exchange_rate_check(
    *, currency: str, rate_type: str, valid_from: date, rate: Decimal, today: date | None = None
) -> None:
    """Raise :class:`ExchangeRateRefused` unless ``rate`` may be published for ``valid_from``."""
    today = today or timezone.localdate()
    try:
        if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
            raise ExchangeRateRefused(
                _("The rate must be a number greater than zero."), field="rate"
            )
        if rate != rate.quantize(Decimal("0.0001")) or rate > MAX_RATE:
            raise ExchangeRateRefused(
                _("The rate may have at most four decimals and six whole digits."), field="rate"
            )
    except InvalidOperation as exc:
        raise ExchangeRateRefused(
            _("The rate must be a number greater than zero."), field="rate"
        ) from exc
    if rate_type not in ExchangeRate.RateType.values:
        raise ExchangeRateRefused(_("Choose the official buy or sell rate."), field="rate_type")
    if valid_from < today:
        raise ExchangeRateRefused(
            _(
                "A rate cannot be back-dated: it would change the price of operations already "
                "made. Publish it from today."
            ),
            field="valid_from",
        )
    # Every date from valid_from on where the rates in force change, as the database checks.
    dates = {valid_from} | set(
        ExchangeRate.objects.filter(
            currency=currency, status=ExchangeRate.Status.APPROVED, valid_from__gt=valid_from
        ).values_list("valid_from", flat=True)
    )
    for on in sorted(dates):
        buy, sell = _rates_on(currency=currency, on=on, extra=(rate_type, rate, valid_from))
        if buy is not None and sell is not None and buy > sell:
            raise ExchangeRateRefused(
                _(
                    "The official buy rate (%(buy)s) cannot be above the official sell rate "
                    "(%(sell)s) in force on %(date)s: the cooperative would pay more for a "
                    "dollar than it charges for it."
                )
                % {"buy": buy, "sell": sell, "date": on.strftime("%d/%m/%Y")},
                field="rate",
            )


def exchange_rate_needs_approval(
    *, currency: str, rate_type: str, valid_from: date, rate: Decimal, today: date | None = None
) -> bool:
    """True when ``rate`` is further than the threshold from the rate in force on its date or
    at the start of today, or when no rate is in force yet."""
    today = today or timezone.localdate()
    threshold = settings.EXCHANGE_RATE_APPROVAL_THRESHOLD
    references = [
        row
        for on in (valid_from, today - timedelta(days=1))
        if (row := exchange_rate_in_force(rate_type=rate_type, on=on, currency=currency))
    ]
    if not references:
        return True
    return any(abs(rate - ref.rate) > ref.rate * threshold for ref in references)


@transaction.atomic
def exchange_rate_propose(
    *,
    actor,
    currency: str,
    rate_type: str,
    valid_from: date,
    rate: Decimal,
    ip_address: str | None = None,
) -> ExchangeRate:
    """Publish a rate, or propose it for a second staff member's approval (see the module
    docstring). Returns the new row; ``row.status`` says which happened."""
    _lock_currency(currency)
    exchange_rate_check(currency=currency, rate_type=rate_type, valid_from=valid_from, rate=rate)
    in_force = exchange_rate_in_force(rate_type=rate_type, on=valid_from, currency=currency)
    needs_approval = exchange_rate_needs_approval(
        currency=currency, rate_type=rate_type, valid_from=valid_from, rate=rate
    )
    now = timezone.now()
    row = ExchangeRate.objects.create(
        currency=currency,
        rate_type=rate_type,
        valid_from=valid_from,
        rate=rate,
        status=ExchangeRate.Status.PENDING if needs_approval else ExchangeRate.Status.APPROVED,
        proposed_by=actor,
        proposed_at=now,
        published_at=None if needs_approval else now,
    )
    audit_record(
        actor=actor,
        event=LedgerEvent.EXCHANGE_RATE_PROPOSED
        if needs_approval
        else LedgerEvent.EXCHANGE_RATE_PUBLISHED,
        subject=row,
        old={"rate": str(in_force.rate) if in_force else None},
        new={
            "currency": currency,
            "rate_type": rate_type,
            "valid_from": valid_from.isoformat(),
            "rate": str(rate),
            "status": row.status,
        },
        ip_address=ip_address,
    )
    return row


def _review(*, actor, rate: ExchangeRate, approve: bool, ip_address: str | None) -> ExchangeRate:
    _lock_currency(rate.currency)
    row = ExchangeRate.objects.select_for_update().get(pk=rate.pk)
    if row.status != ExchangeRate.Status.PENDING:
        raise ExchangeRateRefused(_("This rate was already approved or rejected."))
    if not actor.has_perm("ledger.approve_exchangerate"):
        raise ExchangeRateRefused(_("You do not have permission to approve exchange rates."))
    if row.proposed_by_id == actor.pk:
        raise ExchangeRateRefused(
            _("You proposed this rate: another staff member must approve or reject it.")
        )
    if approve:
        exchange_rate_check(
            currency=row.currency, rate_type=row.rate_type, valid_from=row.valid_from, rate=row.rate
        )
    now = timezone.now()
    row.status = ExchangeRate.Status.APPROVED if approve else ExchangeRate.Status.REJECTED
    row.reviewed_by = actor
    row.reviewed_at = now
    row.published_at = now if approve else None
    row.save(update_fields=["status", "reviewed_by", "reviewed_at", "published_at"])
    audit_record(
        actor=actor,
        event=LedgerEvent.EXCHANGE_RATE_APPROVED if approve else LedgerEvent.EXCHANGE_RATE_REJECTED,
        subject=row,
        old={"status": ExchangeRate.Status.PENDING, "proposed_by": row.proposed_by_id},
        new={"status": row.status, "rate": str(row.rate), "rate_type": row.rate_type},
        ip_address=ip_address,
    )
    return row


@transaction.atomic
def exchange_rate_approve(
    *, actor, rate: ExchangeRate, ip_address: str | None = None
) -> ExchangeRate:
    """A second staff member puts a pending proposal in force from now."""
    return _review(actor=actor, rate=rate, approve=True, ip_address=ip_address)


@transaction.atomic
def exchange_rate_reject(
    *, actor, rate: ExchangeRate, ip_address: str | None = None
) -> ExchangeRate:
    """A second staff member turns a pending proposal down; it never applies."""
    return _review(actor=actor, rate=rate, approve=False, ip_address=ip_address)
