"""Pure shape rules: masks, account numbers per bank, documents, names and aliases."""

import pytest
from django.core.exceptions import ValidationError

from beneficiaries import rules


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Silvia Ferrufino Fernández", "Silvia F*** F***"),
        ("Juan Carlos Gómez Mamani", "Juan C*** G*** M***"),
        ("Consultora Andina S.R.L.", "Consultora A*** S***"),
        ("Prince", "Prince"),
        ("  ", ""),
    ],
)
def test_mask_name_keeps_first_word_only(name, masked):
    assert rules.mask_name(name) == masked


def test_member_account_number_keeps_leading_zeros_and_drops_separators():
    assert rules.member_account_number_clean(" 0011-000 136 ") == "0011000136"


@pytest.mark.parametrize("raw", ["", "101100013", "10110001366", "10110001A6", "1011000136;--"])
def test_member_account_number_malformed(raw):
    with pytest.raises(ValidationError):
        rules.member_account_number_clean(raw)


@pytest.mark.parametrize(
    ("bank", "raw", "ok"),
    [
        ("BUN", "0100123456", True),  # 10 digits, leading zero kept
        ("BUN", "0100123456789", True),  # 13
        ("BUN", "010012345", False),  # 9
        ("BUN", "01001234567890", False),  # 14
        ("BNB", "1234567890", True),
        ("BNB", "12345678901", False),
        ("BMSC", "123456789", False),
        ("BISA", "123456", True),  # generic rule: 6 to 20
        ("BISA", "12345", False),
        ("BISA", "1" * 21, False),
        ("BISA", "12345X", False),
        (None, "123456", True),
    ],
)
def test_other_bank_number_per_bank(bank, raw, ok):
    if ok:
        assert rules.other_bank_number_clean(raw, bank) == raw
    else:
        with pytest.raises(ValidationError):
            rules.other_bank_number_clean(raw, bank)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("CI", "3344556", "3344556"),
        ("CI", "3344556-1a", "3344556-1A"),
        ("CI", "12345", "12345"),
        ("NIT", "1020304025", "1020304025"),
        ("NIT", "1234567", "1234567"),
    ],
)
def test_documents_valid(kind, raw, expected):
    assert rules.document_clean(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("CI", "1234"),
        ("CI", "12345678901"),
        ("CI", "3344556LP"),
        ("CI", "33A4556"),
        ("NIT", "123456"),
        ("NIT", "12345678901234"),
        ("NIT", "1020-304025X"),
        ("RUC", "1234567"),
    ],
)
def test_documents_malformed(kind, raw):
    with pytest.raises(ValidationError):
        rules.document_clean(kind, raw)


@pytest.mark.parametrize("raw", ["", "ab", "12345", "<script>", "x" * 121])
def test_holder_name_malformed(raw):
    with pytest.raises(ValidationError):
        rules.holder_name_clean(raw)


def test_holder_name_normalises_spaces():
    assert rules.holder_name_clean("  Consultora   Silvia S.R.L. ") == "Consultora Silvia S.R.L."


@pytest.mark.parametrize("raw", ["", "   ", "x" * 41, "tab\x00"])
def test_alias_malformed(raw):
    with pytest.raises(ValidationError):
        rules.alias_clean(raw)
