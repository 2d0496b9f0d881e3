"""Pricing a transfer: currency conversion, fee, and the regulatory and limit figures.

Conversion rules (official BCB rates, dated, from ``ledger.ExchangeRate``):

* The transfer currency ("Moneda de la transferencia") must be the source or the destination
  account's currency. When both accounts share a currency, that is the only choice.
* A member who pays bolivianos for dollars buys USD from the cooperative at the official
  *sell* rate (6.96); a member whose dollars become bolivianos sells USD at the official *buy*
  rate (6.86). Results are rounded half-up to the cent by ``ledger.money.quantize``.
* The fee is charged in the source account's currency, from the fee schedule band that holds
  the debited amount.
* Regulatory rule (the guide: "origen y destino de fondos son requeridos si el monto acumulado
  es mayor a USD 1000.00 en 5 días"): the member's transfers of the last 5 × 24 hours plus this
  one, converted to USD at the official *buy* rate (the conservative choice: a boliviano
  amount counts as more dollars), strictly above USD 1,000.00 require both declarations.
* Daily limits are per member and transfer type, in BOB equivalent (USD at the buy rate), over
  the current calendar day in La Paz: the lower of the institutional limit and the member's
  own (``transfers.limits``).
* New-beneficiary safeguard (``beneficiaries.selectors.beneficiary_transfer_cap``): while a
  registered product is younger than the cooling period, what was already credited to it since
  its registration plus this transfer may not exceed the cap, in the product's currency. A
  member account typed by number and not registered is treated as registered just now (the cap
  over the last cooling period), or typing the number would bypass the safeguard.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from beneficiaries.models import ThirdPartyProduct
from beneficiaries.selectors import (
    DEFAULT_COOLING_LIMIT,
    beneficiary_transfer_cap,
    beneficiary_transfer_cap_message,
    cooling_period,
)
from ledger.models import Account, ExchangeRate
from ledger.money import format_money, has_cents_only, quantize
from ledger.selectors import exchange_rate_get

from .exceptions import TransferError
from .limits import effective_limit
from .models import FeeBand, Transfer, TransferStatus

REGULATORY_THRESHOLD_USD = Decimal("1000.00")
REGULATORY_WINDOW = timedelta(days=5)
MAX_AMOUNT = Decimal("9999999999.99")
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


def convert(
    *, amount: Decimal, from_currency: str, to_currency: str, on: date
) -> tuple[Decimal, Decimal | None]:
    """``amount`` in ``from_currency`` as ``to_currency`` and the rate used (None if same)."""
    if from_currency == to_currency:
        return amount, None
    if from_currency == "USD" and to_currency == "BOB":
        # The cooperative buys the member's dollars.
        rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
        return quantize(amount * rate), rate
    if from_currency == "BOB" and to_currency == "USD":
        # The member buys dollars from the cooperative.
        rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
        return quantize(amount / rate), rate
    raise TransferError(_("That currency is not supported."), field="currency")


def _legs(
    *, amount: Decimal, currency: str, source_currency: str, destination_currency: str, on: date
) -> tuple[Decimal, Decimal, Decimal | None]:
    if currency not in {source_currency, destination_currency}:
        raise TransferError(
            _("The transfer currency must be the currency of the source or destination account."),
            field="currency",
        )
    if currency == source_currency:
        credit, rate = convert(
            amount=amount, from_currency=currency, to_currency=destination_currency, on=on
        )
        return amount, credit, rate
    # Amount given in the destination currency: what must be debited to deliver it.
    if source_currency == "BOB":  # member buys USD at the sell rate
        rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_SELL, on=on)
        return quantize(amount * rate), amount, rate
    rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
    return quantize(amount / rate), amount, rate


def fee_for(*, transfer_type: str, currency: str, amount: Decimal) -> Decimal:
    """The fixed fee of the band holding ``amount``. An amount in no band is refused, never
    priced at zero: a hole in the schedule must not make transfers free (the database keeps
    schedules whole, ``transfers.fees``; this is the last line)."""
    band = (
        FeeBand.objects.filter(
            Q(max_amount__isnull=True) | Q(max_amount__gte=amount),
            transfer_type=transfer_type,
            currency=currency,
            min_amount__lte=amount,
        )
        .order_by("-min_amount")
        .first()
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
    if currency == "USD":
        return amount
    rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
    return quantize(amount / rate)


def bob_equivalent(*, amount: Decimal, currency: str, on: date) -> Decimal:
    if currency == "BOB":
        return amount
    rate = exchange_rate_get(rate_type=ExchangeRate.RateType.OFFICIAL_BUY, on=on)
    return quantize(amount * rate)


def rolling_usd_total(*, member_id: int, now: datetime) -> Decimal:
    """USD equivalent of the member's counted transfers in the regulatory window."""
    total = Transfer.objects.filter(
        member_id=member_id,
        status__in=COUNTED_STATUSES,
        created_at__gt=now - REGULATORY_WINDOW,
    ).aggregate(total=Sum("usd_equivalent"))["total"]
    return total or Decimal("0.00")


def member_totals(*, member_id: int, transfer_type: str, now: datetime) -> tuple[Decimal, Decimal]:
    """The member's BOB total of ``transfer_type`` today (for the daily limit) and USD total
    in the regulatory window (:func:`rolling_usd_total`), in one query: the signing step
    prices a transfer twice, and every round trip there is paid by every transfer."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = now - REGULATORY_WINDOW
    totals = Transfer.objects.filter(
        Q(created_at__gte=start) | Q(created_at__gt=since),
        member_id=member_id,
        status__in=COUNTED_STATUSES,
    ).aggregate(
        today=Sum("bob_equivalent", filter=Q(transfer_type=transfer_type, created_at__gte=start)),
        rolling=Sum("usd_equivalent", filter=Q(created_at__gt=since)),
    )
    return totals["today"] or Decimal("0.00"), totals["rolling"] or Decimal("0.00")


def _credited_sum(**filters) -> Decimal:
    total = Transfer.objects.filter(status__in=COUNTED_STATUSES, **filters).aggregate(
        total=Sum("credit_amount")
    )["total"]
    return total or Decimal("0.00")


def beneficiary_cap_check(
    *,
    member_id: int,
    beneficiary: ThirdPartyProduct | None,
    destination_account_id: int | None,
    currency: str,
    credit: Decimal,
    now: datetime,
) -> None:
    """Refuse a transfer that would pass the new-beneficiary cap (see the module docstring)."""
    if beneficiary is not None:
        cap = beneficiary_transfer_cap(product=beneficiary, at=now)
        if cap is None:
            return
        sent = _credited_sum(beneficiary=beneficiary, created_at__gte=beneficiary.created_at)
        if sent + credit > cap:
            message = beneficiary_transfer_cap_message(product=beneficiary, at=now)
            raise TransferError(
                _("%(why)s Already sent: %(sent)s.")
                % {"why": message, "sent": format_money(sent, beneficiary.currency)},
                field="amount",
            )
        return
    if destination_account_id is None:
        return
    limits = getattr(settings, "BENEFICIARY_COOLING_LIMIT", DEFAULT_COOLING_LIMIT)
    cap = Decimal(str(limits[currency]))
    sent = _credited_sum(
        member_id=member_id,
        destination_account_id=destination_account_id,
        created_at__gt=now - cooling_period(),
    )
    if sent + credit > cap:
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
) -> Quote:
    """Price a transfer and check the amount, the balance, the daily limits and the
    new-beneficiary cap. ``beneficiary`` is the registered product (third party or other bank);
    ``destination_account_id`` a third party's account typed without a registered product.

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
    if debit <= 0 or credit <= 0:
        raise TransferError(_("The amount is too small to convert."), field="amount")
    fee = fee_for(transfer_type=transfer_type, currency=source.currency, amount=debit)
    if debit + fee > source.balance:
        raise TransferError(
            _("The source account does not have enough balance (%(needed)s with the fee).")
            % {"needed": format_money(debit + fee, source.currency)},
            field="amount",
        )
    usd = usd_equivalent(amount=amount, currency=currency, on=on)
    bob = bob_equivalent(amount=amount, currency=currency, on=on)
    limit = effective_limit(member_id=member_id, transfer_type=transfer_type, now=now)
    used, rolling = member_totals(member_id=member_id, transfer_type=transfer_type, now=now)
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
