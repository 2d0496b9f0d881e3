"""Another person's account number is masked by one rule (``ledger.models.mask_account_number``,
the guide's "X000X-136") wherever a transfer names it: the receipt, the signed summary, the QR
payment's destination. Each place once wrote the rule again by hand; these tests hold every one
of them to the function, edge cases included.

Edge cases, as the function has always treated them (and as every hand-written copy did too):
a number shorter than three digits shows what it has ("X000X-12"), an empty one shows the bare
prefix ("X000X-"). Neither can come from a member: every number the portal accepts has at least
six digits (``beneficiaries.rules``, ``transfers.qr.emv.ACCOUNT_RE``). Never more than the last
three characters are shown.
"""

from decimal import Decimal

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from beneficiaries.models import Bank
from ledger.models import Account, mask_account_number
from transfers.models import Transfer, TransferStatus, TransferType
from transfers.qr.selectors import QrIntent
from transfers.receipts import receipt_rows
from transfers.summary import stored_destination_label

NUMBERS = ["1234567890", "3001234567", "123", "12", "7", ""]


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("1234567890", "X000X-890"),
        ("3001234567", "X000X-567"),
        ("123", "X000X-123"),
        ("12", "X000X-12"),
        ("7", "X000X-7"),
        ("", "X000X-"),
    ],
)
def test_the_rule_and_its_edge_cases(number, shown):
    assert mask_account_number(number) == shown


@given(st.text(alphabet="0123456789", max_size=32))
def test_never_more_than_the_last_three_digits(number):
    masked = mask_account_number(number)
    assert masked.startswith("X000X-")
    shown = masked.removeprefix("X000X-")
    assert len(shown) <= 3 and number.endswith(shown)


def _other_bank_transfer(number: str) -> Transfer:
    """An unsaved transfer to another bank's account (no cooperative destination account)."""
    return Transfer(
        transfer_type=TransferType.OTHER_BANK,
        status=TransferStatus.SENT,
        source_account=Account(number="1011000136", currency="BOB"),
        destination_bank=Bank(name="Banco Unión S.A."),
        destination_number=number,
        destination_name="Consultora S*** F***",
        destination_currency="BOB",
        currency="BOB",
        amount=Decimal("10.00"),
        debit_amount=Decimal("10.00"),
        credit_amount=Decimal("10.00"),
        fee_amount=Decimal("5.00"),
        description="Pago",
        verification_code="ABCD1234",
        created_at=timezone.now(),
    )


@pytest.mark.parametrize("number", NUMBERS)
def test_receipt_masks_another_banks_number_by_the_rule(number):
    with translation.override("en"):
        rows = dict(receipt_rows(_other_bank_transfer(number)))
    assert rows["Destination account"] == (
        f"Banco Unión S.A. — Consultora S*** F*** {mask_account_number(number)}"
    )


@pytest.mark.parametrize("number", NUMBERS)
def test_signed_summary_masks_another_banks_number_by_the_rule(number):
    label = stored_destination_label(_other_bank_transfer(number))
    assert label == f"Consultora S*** F*** {mask_account_number(number)}"


@pytest.mark.parametrize("number", NUMBERS)
def test_qr_destination_is_masked_by_the_rule(number):
    intent = QrIntent(
        payload="",
        transfer_type="other_bank",
        currency="BOB",
        payee_name="Ana",
        destination_number=number,
    )
    assert intent.masked_number == mask_account_number(number)
