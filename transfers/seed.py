"""Default fee schedule and daily limits (staff edit both in the admin).

Fees: transfers between own accounts and to other members are free (one zero-fee band from
0.01 with no maximum: every schedule covers every amount, or the transfer is refused).
Transfers to other banks go through the ACH clearing house and carry a fixed fee by band. No
official tariff of the cooperative is reachable from here, so these bands are an illustrative
schedule modelled on the
fixed ACH fees Bolivian entities publish in their tariff boards (a few bolivianos per order,
higher for large amounts); the branch replaces them with the approved tariff.

Daily limits (BOB equivalent, per member and type): own accounts Bs 200.000, other members
Bs 70.000 (≈ USD 10.000), other banks Bs 35.000 (≈ USD 5.000) — conservative electronic-
channel limits; a member may set lower ones.
"""

from decimal import Decimal

from django.db import transaction

FEE_BANDS = [
    # Free, but priced: an amount with no band is refused (transfers.quotes.fee_for).
    ("own", "BOB", Decimal("0.01"), None, Decimal("0.00")),
    ("own", "USD", Decimal("0.01"), None, Decimal("0.00")),
    ("third_party", "BOB", Decimal("0.01"), None, Decimal("0.00")),
    ("third_party", "USD", Decimal("0.01"), None, Decimal("0.00")),
    ("other_bank", "BOB", Decimal("0.01"), Decimal("10000.00"), Decimal("5.00")),
    ("other_bank", "BOB", Decimal("10000.01"), Decimal("50000.00"), Decimal("10.00")),
    ("other_bank", "BOB", Decimal("50000.01"), None, Decimal("20.00")),
    ("other_bank", "USD", Decimal("0.01"), Decimal("1500.00"), Decimal("1.00")),
    ("other_bank", "USD", Decimal("1500.01"), None, Decimal("2.00")),
]

DAILY_LIMITS = {
    "own": Decimal("200000.00"),
    "third_party": Decimal("70000.00"),
    "other_bank": Decimal("35000.00"),
}


def seed_transfer_reference(fee_band_model, daily_limit_model) -> None:
    # One transaction: the database checks each schedule is whole at commit, not band by band.
    with transaction.atomic():
        for transfer_type, currency, low, high, fee in FEE_BANDS:
            fee_band_model.objects.get_or_create(
                transfer_type=transfer_type,
                currency=currency,
                min_amount=low,
                defaults={"max_amount": high, "fixed_fee": fee},
            )
    for transfer_type, amount in DAILY_LIMITS.items():
        daily_limit_model.objects.get_or_create(
            transfer_type=transfer_type, defaults={"amount_bob": amount}
        )
