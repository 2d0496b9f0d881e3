"""Pricing a transfer: currency conversion, fee, and the regulatory and limit figures.

Conversion rules (official BCB rates, dated, from ``ledger.ExchangeRate``):

* The transfer currency ("Moneda de la transferencia") must be the source or the destination
  account's currency. When both accounts share a currency, that is the only choice.
* A member who pays bolivianos for dollars buys USD from the cooperative at the official
  *sell* rate (6.96); a member whose dollars become bolivianos sells USD at the official *buy*
  rate (6.86).
* **Rounding never favours the member.** The leg typed by the member is exact; the other leg
  is rounded to the cent *against* the member: what the member pays (the debit, when the amount
  is typed in the destination currency) rounds UP (``ledger.money.quantize_up``), what the
  member receives (the credit, when the amount is typed in the source currency) rounds DOWN
  (``ledger.money.quantize_down``). So Bs 0,07 buys $us 0,01 (never Bs 0,04), and Bs 0,10
  costs $us 0,02 (never $us 0,01): every conversion leaves the member's holdings, valued at
  either official rate, no higher than before, and the FX position account never pays for a
  rounding. A conversion whose received leg would be below ``MIN_CONVERTED_CREDIT``
  ($us 0,01 / Bs 0,01) is refused. The same rule holds for own, third-party and other-bank
  transfers. Step 4 shows the official rate and, when the rounded legs amount to a different
  one, the effective rate they apply (:attr:`Quote.effective_rate`).
* The fee is charged in the source account's currency, from the fee schedule band that holds
  the debited amount.
* Regulatory rule (the guide: "origen y destino de fondos son requeridos si el monto acumulado
  es mayor a USD 1000.00 en 5 días"): the member's transfers of the last 5 × 24 hours plus this
  one, converted to USD at the official *buy* rate (the conservative choice: a boliviano
  amount counts as more dollars), strictly above USD 1,000.00 require both declarations.
* Daily limits are per member and transfer type, over the current calendar day in La Paz: the
  lower of the institutional limit and the member's own (``transfers.limits``). They count
  exactly what leaves the source account (:func:`bob_equivalent`): the bolivianos debited, or
  the dollars debited at the official *sell* rate rounded up (never the amount typed converted
  at the buy rate, which under-counted a Bs→$ purchase by 1.46 %). The fee is not counted.
* New-beneficiary safeguard (``beneficiaries.selectors.destination_cooling_until``): the
  cooling period and its allowance belong to the member and the destination account (a
  cooperative account by its ledger account; another bank's by bank and number), never to a
  product row. A destination is cooling until ``BENEFICIARY_COOLING_PERIOD`` has passed since
  the member's *first* registration of it, deleted product rows included; one the member never
  registered (a typed number) is cooling for as long as it stays unregistered. While it cools,
  what the member credited to it over the last cooling period (every transfer to that
  destination, through any product row or typed) plus this transfer may not exceed
  ``BENEFICIARY_COOLING_LIMIT`` in the destination's currency. So deleting and registering a
  product again, renaming it, or typing the number instead all draw on one allowance; each
  member has their own.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import ThirdPartyProduct
from beneficiaries.selectors import (
    beneficiary_transfer_cap_message,
    cooling_limit,
    cooling_period,
    destination_cooling_until,
)
from ledger.exceptions import ExchangeRateMissing
from ledger.models import Account, ExchangeRate
from ledger.money import CENT, format_money, has_cents_only, quantize_down, quantize_up
from progresonet.sql import sql

from .exceptions import TransferError
from .limits import limit_in_force, personal_limit_now
from .models import DailyLimit, FeeBand, MemberDailyLimit, Transfer, TransferStatus
from .run_figures import kept

REGULATORY_THRESHOLD_USD = Decimal("1000.00")
REGULATORY_WINDOW = timedelta(days=5)
MAX_AMOUNT = Decimal("9999999999.99")
# The smallest amount a conversion may deliver; below it the transfer is refused.
MIN_CONVERTED_CREDIT = CENT
RATE_PLACES = Decimal("0.0001")
# Statuses whose money left (or will leave) the member: they count towards limits and totals.
COUNTED_STATUSES = [
    TransferStatus.PENDING_COSIGN,
    TransferStatus.POSTED,
    TransferStatus.SENT,
    TransferStatus.SETTLED,
]


@dataclass(frozen=True)
class Quote:
    transfer_type: str
    source_account_id: int
    destination_key: str  # the account id, or "bank:number" for other banks
    currency: str
    amount: Decimal
    source_currency: str
    destination_currency: str
    debit_amount: Decimal
    credit_amount: Decimal
    fee_amount: Decimal
    exchange_rate: Decimal | None
    usd_equivalent: Decimal
    bob_equivalent: Decimal
    rolling_usd_total: Decimal
    exceeds_threshold: bool

    @property
    def total_debit(self) -> Decimal:
        return self.debit_amount + self.fee_amount

    @property
    def effective_rate(self) -> Decimal | None:
        """The rate the rounded legs amount to (None without a conversion)."""
        if self.exchange_rate is None:
            return None
        return effective_rate(
            debit=self.debit_amount, credit=self.credit_amount, source_currency=self.source_currency
        )

    def fingerprint(self) -> str:
        """What the member signs: any change to these fields invalidates the signature."""
        parts = [
            self.transfer_type,
            str(self.source_account_id),
            self.destination_key,
            self.currency,
            str(self.amount),
            str(self.debit_amount),
            str(self.credit_amount),
            str(self.fee_amount),
            str(self.exchange_rate),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def validate_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TransferError(_("Enter a valid amount."), field="amount")
    if amount <= 0:
        raise TransferError(_("The amount must be greater than zero."), field="amount")
    if not has_cents_only(amount):
        raise TransferError(_("The amount may have at most two decimals."), field="amount")
    if amount > MAX_AMOUNT:
        raise TransferError(_("The amount is too large."), field="amount")
    return amount


# The official rate in force, as ONE plain statement: the same rows, filter and order as
# ``ledger.selectors.exchange_rate_in_force`` (approved, newest ``valid_from`` on or before the
# day, then the latest published, then the newest row). Every priced step (the data step and
# the signing step) reads it, and building the ORM query cost more CPU than running it
# (progresonet.sql).
_RATE_SQL = (
    "SELECT {r.rate} FROM {r} WHERE {r.currency} = %s AND {r.rate_type} = %s "
    "AND {r.valid_from} <= %s AND {r.status} = %s "
    "ORDER BY {r.valid_from} DESC, {r.published_at} DESC, {r.id} DESC LIMIT 1"
)


def _rate_read(*, rate_type: str, on: date) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_RATE_SQL, r=ExchangeRate), ["USD", rate_type, on, ExchangeRate.Status.APPROVED]
        )
        row = cursor.fetchone()
    if row is None:
        raise ExchangeRateMissing()
    return row[0]


def _rate(*, rate_type: str, on: date) -> Decimal:
    """The official rate in force on ``on`` (kept for a moment by a batch job:
    ``transfers.run_figures``)."""
    return kept(("rate", rate_type, on), lambda: _rate_read(rate_type=rate_type, on=on))


# The official rate a conversion applies, by which way the money goes: (the currency the member
# pays, the currency the member receives). A member paying bolivianos for dollars buys them from
# the cooperative at the *sell* rate; one whose dollars become bolivianos sells them at the *buy*
# rate. Both rates are bolivianos per dollar.
_RATE_TYPES = {
    ("BOB", "USD"): ExchangeRate.RateType.OFFICIAL_SELL,
    ("USD", "BOB"): ExchangeRate.RateType.OFFICIAL_BUY,
}


def convert(
    *,
    amount: Decimal,
    amount_is: Literal["paid", "received"],
    paid: str,
    received: str,
    on: date,
) -> tuple[Decimal, Decimal | None]:
    """The other leg of a conversion in which the member pays in ``paid`` and receives in
    ``received``, ``amount`` being the leg they pay or the one they receive (``amount_is``), and
    the official rate used (None if one currency).

    The other leg is rounded to the cent against the member: what they receive rounds DOWN,
    what they pay rounds UP."""
    if paid == received:
        return amount, None
    rate_type = _RATE_TYPES.get((paid, received))
    if rate_type is None:
        raise TransferError(_("That currency is not supported."), field="currency")
    rate = _rate(rate_type=rate_type, on=on)
    amount_currency = paid if amount_is == "paid" else received
    # A rate is bolivianos per dollar: dollars times the rate are bolivianos.
    exact = amount * rate if amount_currency == "USD" else amount / rate
    if amount_is == "paid":
        return quantize_down(exact), rate  # the other leg is what the member receives
    return quantize_up(exact), rate  # the other leg is what the member pays


def _legs(
    *, amount: Decimal, currency: str, source_currency: str, destination_currency: str, on: date
) -> tuple[Decimal, Decimal, Decimal | None]:
    """(debit, credit, official rate) under the conversion policy of the module docstring."""
    if currency not in {source_currency, destination_currency}:
        raise TransferError(
            _("The transfer currency must be the currency of the source or destination account."),
            field="currency",
        )
    # The member pays in the source currency and receives in the destination's; the amount is
    # the debit when given in the source currency, else the credit, and the other leg converted.
    given = "paid" if currency == source_currency else "received"
    other, rate = convert(
        amount=amount,
        amount_is=given,
        paid=source_currency,
        received=destination_currency,
        on=on,
    )
    debit, credit = (amount, other) if given == "paid" else (other, amount)
    if credit < MIN_CONVERTED_CREDIT:
        raise TransferError(
            _(
                "The amount is too small to convert: the destination would receive less than "
                "%(minimum)s."
            )
            % {"minimum": format_money(MIN_CONVERTED_CREDIT, destination_currency)},
            field="amount",
        )
    return debit, credit, rate


def effective_rate(*, debit: Decimal, credit: Decimal, source_currency: str) -> Decimal:
    """Bolivianos per dollar actually applied by a conversion once its legs are rounded to the
    cent (four decimals): what step 4 shows next to the official rate."""
    bob, usd = (debit, credit) if source_currency == "BOB" else (credit, debit)
    return (bob / usd).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# A type's fee schedule in one currency, highest band first, as ONE plain statement (read by
# every priced step, like _RATE_SQL, for the same reason). Only the three figures fee_for
# reads (_Band's fields, in order): no model instances to build.
_FEE_BANDS_SQL = (
    "SELECT {f.min_amount}, {f.max_amount}, {f.fixed_fee} FROM {f} "
    "WHERE {f.transfer_type} = %s AND {f.currency} = %s ORDER BY {f.min_amount} DESC"
)


class _Band(NamedTuple):
    min_amount: Decimal
    max_amount: Decimal | None
    fixed_fee: Decimal


def _fee_bands_read(*, transfer_type: str, currency: str) -> list[_Band]:
    with connection.cursor() as cursor:
        cursor.execute(sql(_FEE_BANDS_SQL, f=FeeBand), [transfer_type, currency])
        return [_Band(*row) for row in cursor.fetchall()]


def fee_for(*, transfer_type: str, currency: str, amount: Decimal) -> Decimal:
    """The fixed fee of the band holding ``amount``. An amount in no band is refused, never
    priced at zero: a hole in the schedule must not make transfers free (the database keeps
    schedules whole, ``transfers.fees``; this is the last line)."""
    # The whole schedule of this type and currency (a few rows, kept for a moment by a batch
    # job: transfers.run_figures); the band is the highest one starting at or below amount.
    bands = kept(
        ("fees", transfer_type, currency),
        lambda: _fee_bands_read(transfer_type=transfer_type, currency=currency),
    )
    band = next(
        (
            b
            for b in bands
            if b.min_amount <= amount and (b.max_amount is None or b.max_amount >= amount)
        ),
        None,
    )
    if band is None:
        raise TransferError(
            _(
                "The cooperative's fee schedule has no fee for this amount, so the transfer "
                "cannot be made. Please try another amount or contact the cooperative."
            ),
            field="amount",
        )
    return band.fixed_fee


def usd_equivalent(*, amount: Decimal, currency: str, on: date) -> Decimal:
    """A transfer's dollars for the 5-day regulatory rule: bolivianos at the official buy rate,
    rounded UP to the cent, so the sum never counts less than the member moved (half-up let
    Bs 3.430,00 + Bs 3.430,01, USD 1.000,0015, pass as USD 1.000,00 without the declarations)."""
    if currency == "USD":
        return amount
    rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
    return quantize_up(amount / rate)


def bob_equivalent(*, debit: Decimal, source_currency: str, on: date) -> Decimal:
    """What leaves the source account (before the fee), in bolivianos, for the daily limit:
    the debit itself from a BOB account; from a USD account the debit at the official *sell*
    rate rounded up, the conservative choice (a dollar counts as the most bolivianos it could
    buy back)."""
    if source_currency == "BOB":
        return debit
    rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
    return quantize_up(debit * rate)


def rolling_usd_total(*, member_id: int, now: datetime) -> Decimal:
    """USD equivalent of the member's counted transfers in the regulatory window."""
    # One plain statement (the data step shows this total on every visit; building the ORM
    # aggregate cost more CPU than running it): the same rows as FIGURES_SQL's ``rolling``.
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_ROLLING_SQL, t=Transfer),
            [member_id, [str(s) for s in COUNTED_STATUSES], now - REGULATORY_WINDOW],
        )
        total = cursor.fetchone()[0]
    return total or Decimal("0.00")


_ROLLING_SQL = (
    "SELECT SUM({t.usd_equivalent}) FROM {t} "
    "WHERE {t.member} = %s AND {t.status} = ANY(%s) AND {t.created_at} > %s"
)


def _counted(exclude_transfer_id: int | None):
    """Transfers that count towards limits and totals; ``exclude_transfer_id`` leaves out a
    pending joint-account transfer re-checked at its last co-signature, which already counts
    (so its own amount is added once, by the check, not twice)."""
    counted = Transfer.objects.filter(status__in=COUNTED_STATUSES)
    return counted.exclude(pk=exclude_transfer_id) if exclude_transfer_id else counted


# The member's figures for the daily limit and the regulatory rule in ONE round trip (the
# signing step and every scheduled date pay each one, under the member lock): the
# institutional limit, the member's own limit row, today's BOB total of the type and the
# 5-day USD total. The aggregate over the member's counted transfers always yields one row;
# the limits are a scalar subquery and a left join (both unique per type / member and type).
# A template of progresonet.sql over FIGURES_MODELS (``sql(FIGURES_SQL, **FIGURES_MODELS)``),
# every value a bound parameter (:func:`figures_params`); the same rows and filters as
# ``transfers.limits.effective_limit`` and :func:`rolling_usd_total`. A transfer between the
# member's own accounts reads its two accounts in the same statement
# (``transfers.services._own_ends``).
FIGURES_SQL = (
    "SELECT (SELECT d.{dl.amount_bob} FROM {dl} d WHERE d.{dl.transfer_type} = %s) "
    "AS institutional, p.{ml.amount_bob} AS personal, p.{ml.pending_amount_bob} AS pending, "
    "p.{ml.pending_effective_at} AS pending_at, t.today, t.rolling "
    "FROM (SELECT SUM({tr.bob_equivalent}) "
    "FILTER (WHERE {tr.transfer_type} = %s AND {tr.created_at} >= %s) AS today, "
    "SUM({tr.usd_equivalent}) FILTER (WHERE {tr.created_at} > %s) AS rolling "
    "FROM {tr} WHERE {tr.member} = %s AND {tr.status} = ANY(%s) "
    "AND ({tr.created_at} >= %s OR {tr.created_at} > %s) AND {tr.id} <> COALESCE(%s, 0)) t "
    "LEFT JOIN {ml} p ON p.{ml.member} = %s AND p.{ml.transfer_type} = %s"
)
FIGURES_MODELS = {"dl": DailyLimit, "ml": MemberDailyLimit, "tr": Transfer}
FIGURES_COLUMNS = 6


@dataclass(frozen=True)
class MemberFigures:
    limit: Decimal | None  # the daily limit in force for the type (None: no limit)
    used_today: Decimal  # BOB equivalent of the type's counted transfers today (La Paz)
    rolling_usd: Decimal  # USD equivalent of the counted transfers in the regulatory window


def figures_params(
    *, member_id: int, transfer_type: str, now: datetime, exclude_transfer_id: int | None = None
) -> list:
    """The bound values of :data:`FIGURES_SQL`, in order."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = now - REGULATORY_WINDOW
    statuses = [str(s) for s in COUNTED_STATUSES]
    return [
        transfer_type,
        transfer_type,
        start,
        since,
        member_id,
        statuses,
        start,
        since,
        exclude_transfer_id,
        member_id,
        transfer_type,
    ]


def figures_of(row, *, now: datetime) -> MemberFigures:
    """:class:`MemberFigures` from :data:`FIGURES_SQL`'s six columns."""
    institutional, amount, pending, pending_at, today, rolling = row
    personal = personal_limit_now(
        amount=amount, pending_amount=pending, pending_at=pending_at, now=now
    )
    return MemberFigures(
        limit=limit_in_force(institutional=institutional, personal=personal),
        used_today=today or Decimal("0.00"),
        rolling_usd=rolling or Decimal("0.00"),
    )


def member_figures(
    *, member_id: int, transfer_type: str, now: datetime, exclude_transfer_id: int | None = None
) -> MemberFigures:
    """The member's daily limit of ``transfer_type`` in force at ``now`` (the lower of the
    institutional and the member's own, ``transfers.limits``), their BOB total of that type
    today and their USD total in the regulatory window (:func:`rolling_usd_total`), in one
    statement (:data:`FIGURES_SQL`). ``exclude_transfer_id``: see :func:`_counted`."""
    params = figures_params(
        member_id=member_id,
        transfer_type=transfer_type,
        now=now,
        exclude_transfer_id=exclude_transfer_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql(FIGURES_SQL, **FIGURES_MODELS), params)
        return figures_of(cursor.fetchone(), now=now)


def _credited_in_cooling_window(
    *,
    member_id: int,
    currency: str,
    since: datetime,
    on: date,
    account_id: int | None,
    bank_id: int | None,
    number: str,
    exclude_transfer_id: int | None = None,
) -> Decimal:
    """What the member credited to one destination since ``since``, in ``currency``.

    Matched by destination (ledger account, or bank and number), never by product row, so
    every product row for it and every typed transfer count. A typed other-bank number may
    have been sent both currencies: the other currency's total is converted against the member
    (rounded up, at the rate that makes it the larger figure).
    """
    where = (
        {"destination_account_id": account_id}
        if account_id is not None
        else {
            "destination_bank_id": bank_id,
            "destination_number": number,
        }
    )
    totals = (
        _counted(exclude_transfer_id)
        .filter(member_id=member_id, created_at__gt=since, **where)
        .aggregate(
            bob=Sum("credit_amount", filter=Q(destination_currency="BOB")),
            usd=Sum("credit_amount", filter=Q(destination_currency="USD")),
        )
    )
    bob, usd = totals["bob"] or Decimal("0.00"), totals["usd"] or Decimal("0.00")
    if currency == "BOB":
        if not usd:
            return bob
        rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
        return bob + quantize_up(usd * rate)
    if not bob:
        return usd
    rate = _rate(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
    return usd + quantize_up(bob / rate)


def beneficiary_cap_check(
    *,
    member_id: int,
    beneficiary: ThirdPartyProduct | None,
    destination_account_id: int | None,
    currency: str,
    credit: Decimal,
    now: datetime,
    destination_bank_id: int | None = None,
    destination_number: str = "",
    exclude_transfer_id: int | None = None,
) -> None:
    """Refuse a transfer that would pass the new-beneficiary cap (see the module docstring).

    The destination is the cooperative account ``destination_account_id`` or another bank's
    ``destination_bank_id`` + ``destination_number`` (read from ``beneficiary`` when given);
    with neither (own accounts) no cap applies.
    """
    account_id, bank_id, number = destination_account_id, destination_bank_id, destination_number
    if beneficiary is not None:
        if beneficiary.kind == ThirdPartyProduct.Kind.MEMBER:
            account_id = beneficiary.account_id
        else:
            bank_id, number = beneficiary.bank_id, beneficiary.number
    if account_id is None and not (bank_id is not None and number):
        return
    if account_id is not None:
        bank_id, number = None, ""
    cooling, until = destination_cooling_until(
        owner_id=member_id, at=now, account_id=account_id, bank_id=bank_id, number=number
    )
    if not cooling:
        return
    cap = cooling_limit(currency)
    # Every window of one cooling period that ends inside the cooling period holds at most the
    # cap; such a window reaches back past the first registration, so the whole cooling
    # period of the destination, typed transfers before its registration included, is capped.
    sent = _credited_in_cooling_window(
        member_id=member_id,
        currency=currency,
        since=now - cooling_period(),
        on=timezone.localdate(now),
        account_id=account_id,
        bank_id=bank_id,
        number=number,
        exclude_transfer_id=exclude_transfer_id,
    )
    if sent + credit <= cap:
        return
    message = (
        beneficiary_transfer_cap_message(product=beneficiary, at=now)
        if beneficiary is not None and until is not None
        else None
    )
    if message:
        raise TransferError(
            _("%(why)s Already sent: %(sent)s.")
            % {"why": message, "sent": format_money(sent, currency)},
            field="amount",
        )
    raise TransferError(
        _(
            "This account is not among your registered products. For your security you "
            "can send it at most %(cap)s within %(minutes)s minutes (already sent: "
            "%(sent)s); register it and wait, or send less."
        )
        % {
            "cap": format_money(cap, currency),
            "minutes": int(cooling_period().total_seconds() // 60),
            "sent": format_money(sent, currency),
        },
        field="amount",
    )


def quote_build(
    *,
    member_id: int,
    transfer_type: str,
    source: Account,
    destination_key: str,
    destination_currency: str,
    currency: str,
    amount: Decimal,
    now: datetime | None = None,
    beneficiary: ThirdPartyProduct | None = None,
    destination_account_id: int | None = None,
    exclude_transfer_id: int | None = None,
    destination_bank_id: int | None = None,
    destination_number: str = "",
    figures: MemberFigures | None = None,
) -> Quote:
    """Price a transfer and check the amount, the balance, the daily limits and the
    new-beneficiary cap. ``beneficiary`` is the registered product (third party or other bank);
    ``destination_account_id`` a third party's cooperative account and ``destination_bank_id``
    + ``destination_number`` another bank's account, registered or typed (None for own
    transfers: the new-beneficiary cap is for third parties only).

    ``figures``: the member's :class:`MemberFigures` at ``now`` when the caller read them
    already, under the same lock (:func:`member_figures` otherwise).

    Raises :class:`TransferError` with a member-facing message on any refusal.
    """
    now = now or timezone.now()
    on = timezone.localdate(now)
    amount = validate_amount(amount)
    debit, credit, rate = _legs(
        amount=amount,
        currency=currency,
        source_currency=source.currency,
        destination_currency=destination_currency,
        on=on,
    )
    fee = fee_for(transfer_type=transfer_type, currency=source.currency, amount=debit)
    if debit + fee > source.balance:
        raise TransferError(
            _("The source account does not have enough balance (%(needed)s with the fee).")
            % {"needed": format_money(debit + fee, source.currency)},
            field="amount",
        )
    usd = usd_equivalent(amount=amount, currency=currency, on=on)
    bob = bob_equivalent(debit=debit, source_currency=source.currency, on=on)
    if figures is None:
        figures = member_figures(
            member_id=member_id,
            transfer_type=transfer_type,
            now=now,
            exclude_transfer_id=exclude_transfer_id,
        )
    limit, used, rolling = figures.limit, figures.used_today, figures.rolling_usd
    if limit is not None and used + bob > limit:
        raise TransferError(
            _(
                "The transfer exceeds your daily limit for this type of transfer "
                "(%(limit)s; already used today: %(used)s)."
            )
            % {"limit": format_money(limit, "BOB"), "used": format_money(used, "BOB")},
            field="amount",
        )
    beneficiary_cap_check(
        member_id=member_id,
        beneficiary=beneficiary,
        destination_account_id=destination_account_id,
        currency=destination_currency,
        credit=credit,
        now=now,
        exclude_transfer_id=exclude_transfer_id,
        destination_bank_id=destination_bank_id,
        destination_number=destination_number,
    )
    rolling += usd
    return Quote(
        transfer_type=transfer_type,
        source_account_id=source.pk,
        destination_key=destination_key,
        currency=currency,
        amount=amount,
        source_currency=source.currency,
        destination_currency=destination_currency,
        debit_amount=debit,
        credit_amount=credit,
        fee_amount=fee,
        exchange_rate=rate,
        usd_equivalent=usd,
        bob_equivalent=bob,
        rolling_usd_total=rolling,
        exceeds_threshold=rolling > REGULATORY_THRESHOLD_USD,
    )
