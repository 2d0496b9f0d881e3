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
  the current calendar day in La Paz.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger.models import Account, ExchangeRate
from ledger.money import format_money, has_cents_only, quantize
from ledger.selectors import exchange_rate_get

from .exceptions import TransferError
from .models import DailyLimit, FeeBand, Transfer, TransferStatus

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
    band = (
        FeeBand.objects.filter(
            transfer_type=transfer_type, currency=currency, min_amount__lte=amount
        )
        .order_by("-min_amount")
        .first()
    )
    if band is None or (band.max_amount is not None and amount > band.max_amount):
        return Decimal("0.00")
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


def today_bob_total(*, member_id: int, transfer_type: str, now: datetime) -> Decimal:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    total = Transfer.objects.filter(
        member_id=member_id,
        transfer_type=transfer_type,
        status__in=COUNTED_STATUSES,
        created_at__gte=start,
    ).aggregate(total=Sum("bob_equivalent"))["total"]
    return total or Decimal("0.00")


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
) -> Quote:
    """Price a transfer and check the amount, the balance and the daily limit.

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
    limit = DailyLimit.objects.filter(transfer_type=transfer_type).first()
    if limit is not None:
        used = today_bob_total(member_id=member_id, transfer_type=transfer_type, now=now)
        if used + bob > limit.amount_bob:
            raise TransferError(
                _(
                    "The transfer exceeds your daily limit for this type of transfer "
                    "(%(limit)s; already used today: %(used)s)."
                )
                % {
                    "limit": format_money(limit.amount_bob, "BOB"),
                    "used": format_money(used, "BOB"),
                },
                field="amount",
            )
    rolling = rolling_usd_total(member_id=member_id, now=now) + usd
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
