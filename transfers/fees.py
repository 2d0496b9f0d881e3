"""Changing the fee schedule without ever leaving an amount unpriced or priced twice.

Every (transfer type, currency) schedule covers each positive cent amount exactly once (see
:class:`transfers.models.FeeBand`; the database refuses anything else). So staff never type a
band's both ends; each change keeps the coverage by construction, in one transaction, with an
audit row:

* **Add** a band from amount X: the band holding X is split; it now ends at X − 0.01 and the
  new band runs from X to where the old one ended. (An empty schedule gets one band from 0.01
  with no maximum.)
* **Change** a band's fee: the only editable figure of an existing band.
* **Remove** a band: the band below takes over its amounts (or, for the first band, the band
  above starts at 0.01 instead). A schedule's last band cannot be removed: the transfers of
  that type would have no price.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record, audited_update
from ledger.money import format_money

from .events import TransferEvent
from .models import FeeBand

CENT = Decimal("0.01")
# What the money columns hold (18 digits, 2 decimals).
MAX_BAND_AMOUNT = Decimal("9999999999999999.99")
FIRST_AMOUNT = CENT


class FeeBandRefused(Exception):
    """A fee schedule change was refused; nothing was written. ``field``: the form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = str(message)
        self.field = field
        super().__init__(self.message)


def _cents(value, *, field: str, what: str, allow_zero: bool) -> Decimal:
    try:
        ok = isinstance(value, Decimal) and value.is_finite()
        ok = ok and (value >= 0 if allow_zero else value > 0) and value == value.quantize(CENT)
    except InvalidOperation:
        ok = False
    if not ok or value > MAX_BAND_AMOUNT:
        raise FeeBandRefused(what, field=field)
    return value


def fee_band_values_check(*, min_amount: Decimal | None = None, fixed_fee: Decimal) -> None:
    """The figures themselves: a positive starting amount and a fee of zero or more, in cents."""
    if min_amount is not None:
        _cents(
            min_amount,
            field="min_amount",
            what=_("The starting amount must be greater than zero, with at most two decimals."),
            allow_zero=False,
        )
    _cents(
        fixed_fee,
        field="fixed_fee",
        what=_("The fee must be zero or more, with at most two decimals."),
        allow_zero=True,
    )


def _group(*, transfer_type: str, currency: str, lock: bool) -> list[FeeBand]:
    bands = FeeBand.objects.filter(transfer_type=transfer_type, currency=currency)
    if lock:
        bands = bands.select_for_update()
    return list(bands.order_by("min_amount"))


def fee_band_add_check(
    *, transfer_type: str, currency: str, min_amount: Decimal, fixed_fee: Decimal
) -> FeeBand | None:
    """Raise :class:`FeeBandRefused` unless a band may start at ``min_amount``; return the band
    it splits (None for an empty schedule)."""
    fee_band_values_check(min_amount=min_amount, fixed_fee=fixed_fee)
    bands = _group(transfer_type=transfer_type, currency=currency, lock=False)
    if not bands:
        if min_amount != FIRST_AMOUNT:
            raise FeeBandRefused(
                _("The first band of a schedule starts at 0.01, so that every amount has a fee."),
                field="min_amount",
            )
        return None
    for band in bands:
        if band.min_amount == min_amount:
            raise FeeBandRefused(
                _("A band already starts at %(amount)s: change its fee instead.")
                % {"amount": format_money(min_amount, currency)},
                field="min_amount",
            )
        if band.max_amount is None or min_amount <= band.max_amount:
            return band
    raise AssertionError("the schedule does not reach every amount")  # the database forbids it


@transaction.atomic
def fee_band_add(
    *,
    actor,
    transfer_type: str,
    currency: str,
    min_amount: Decimal,
    fixed_fee: Decimal,
    ip_address: str | None = None,
) -> FeeBand:
    """Split the band holding ``min_amount``: the new band starts there (module docstring)."""
    _group(transfer_type=transfer_type, currency=currency, lock=True)
    split = fee_band_add_check(
        transfer_type=transfer_type, currency=currency, min_amount=min_amount, fixed_fee=fixed_fee
    )
    max_amount = None
    if split is not None:
        max_amount = split.max_amount
        split.max_amount = min_amount - CENT
        split.save(update_fields=["max_amount"])
    band = FeeBand.objects.create(
        transfer_type=transfer_type,
        currency=currency,
        min_amount=min_amount,
        max_amount=max_amount,
        fixed_fee=fixed_fee,
    )
    audit_record(
        actor=actor,
        event=TransferEvent.FEE_BAND_ADDED,
        subject=band,
        old={"split_band": split.pk if split else None},
        new={
            "transfer_type": transfer_type,
            "currency": currency,
            "min_amount": str(min_amount),
            "max_amount": str(max_amount) if max_amount is not None else None,
            "fixed_fee": str(fixed_fee),
        },
        ip_address=ip_address,
    )
    return band


@transaction.atomic
def fee_band_fee_change(
    *, actor, band: FeeBand, fixed_fee: Decimal, ip_address: str | None = None
) -> FeeBand:
    """Change one band's fee; its amounts stay."""
    fee_band_values_check(fixed_fee=fixed_fee)
    locked = FeeBand.objects.select_for_update().get(pk=band.pk)
    if locked.fixed_fee == fixed_fee:
        return locked
    audited_update(
        locked,
        actor=actor,
        event=TransferEvent.FEE_BAND_FEE_CHANGED,
        ip_address=ip_address,
        fixed_fee=fixed_fee,
    )
    return locked


def fee_band_remove_check(*, band: FeeBand) -> None:
    """Raise :class:`FeeBandRefused` if ``band`` is its schedule's only band."""
    if (
        not FeeBand.objects.filter(transfer_type=band.transfer_type, currency=band.currency)
        .exclude(pk=band.pk)
        .exists()
    ):
        raise FeeBandRefused(
            _(
                "This is the only band of its schedule: without it these transfers would have "
                "no fee and would be refused. Change its fee instead."
            )
        )


@transaction.atomic
def fee_band_remove(*, actor, band: FeeBand, ip_address: str | None = None) -> None:
    """Remove a band; its neighbour takes over its amounts (module docstring)."""
    bands = _group(transfer_type=band.transfer_type, currency=band.currency, lock=True)
    index = next((i for i, b in enumerate(bands) if b.pk == band.pk), None)
    if index is None:
        raise FeeBandRefused(_("This band no longer exists."))
    fee_band_remove_check(band=band)
    removed = bands[index]
    removed_pk = removed.pk
    removed.delete()
    if index > 0:
        neighbour = bands[index - 1]
        neighbour.max_amount = removed.max_amount
        neighbour.save(update_fields=["max_amount"])
    else:
        neighbour = bands[1]
        neighbour.min_amount = removed.min_amount
        neighbour.save(update_fields=["min_amount"])
    audit_record(
        actor=actor,
        event=TransferEvent.FEE_BAND_REMOVED,
        subject=f"transfers.feeband:{removed_pk}",
        old={
            "min_amount": str(removed.min_amount),
            "max_amount": str(removed.max_amount) if removed.max_amount is not None else None,
            "fixed_fee": str(removed.fixed_fee),
        },
        new={"extended_band": neighbour.pk},
        ip_address=ip_address,
    )
