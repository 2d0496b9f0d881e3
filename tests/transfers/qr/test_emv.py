"""EMV merchant-presented payloads: round trip, checksum and strict parsing (no database)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfers.qr.emv import EmvError, QrPayload, crc16_ccitt_false, decode, encode

ans = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=25).map(
    str.strip
)


def _name(limit):
    return ans.map(lambda s: s[:limit].strip()).filter(bool)


amounts = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2),
)


@st.composite
def payloads(draw):
    kind = draw(st.sampled_from(["dynamic", "static_token", "static_number", "other_bank"]))
    digits = st.text(alphabet="0123456789", min_size=6, max_size=20)
    token = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=32)
    fields = {}
    if kind == "dynamic":
        fields = {"dynamic": True, "token": draw(token)}
    elif kind == "static_token":
        fields = {"token": draw(token), "account_number": draw(digits)}
    elif kind == "static_number":
        fields = {"account_number": draw(digits)}
    else:
        fields = {
            "bank_code": draw(
                st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=10)
            ),
            "account_number": draw(digits),
        }
    return QrPayload(
        currency=draw(st.sampled_from(["BOB", "USD"])),
        merchant_name=draw(_name(25)),
        merchant_city=draw(_name(15)),
        amount=draw(amounts),
        reference=draw(ans.map(lambda s: s[:25].strip())),
        mcc=draw(st.text(alphabet="0123456789", min_size=4, max_size=4)),
        **fields,
    )


def test_crc_check_value():
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_known_payload_is_stable():
    text = encode(
        QrPayload(
            currency="BOB",
            merchant_name="Ana Maria Nunez",
            merchant_city="La Paz",
            dynamic=True,
            token="7F3A9C21D0B44E18A2C5",
            amount=Decimal("35.50"),
            reference="Almuerzo",
        )
    )
    # The example decoded tag by tag in docs/qr.md.
    assert text == (
        "00020101021226440016bo.coop.progreso02207F3A9C21D0B44E18A2C5520448295303068"
        "540535.505802BO5915Ana Maria Nunez6006La Paz62120508Almuerzo63047F37"
    )
    assert decode(text).amount == Decimal("35.50")


@settings(max_examples=300)
@given(payloads())
def test_round_trip(payload):
    assert decode(encode(payload)) == payload


@settings(max_examples=300)
@given(payloads(), st.data())
def test_any_flipped_byte_is_refused(payload, data):
    raw = bytearray(encode(payload).encode("ascii"))
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(EmvError):
        decode(raw.decode("latin-1"))


@pytest.mark.parametrize(
    "text",
    ["", "hola", "0002010102126304FFFF", "x" * 600, "000201" + "\u00e9" + "6304ABCD"],
)
def test_garbage_is_refused_with_a_message(text):
    with pytest.raises(EmvError) as caught:
        decode(text)
    assert caught.value.message


def test_wrong_checksum_says_so():
    text = encode(
        QrPayload(currency="USD", merchant_name="A", merchant_city="B", account_number="1011000245")
    )
    bad = text[:-4] + ("0000" if text[-4:] != "0000" else "0001")
    with pytest.raises(EmvError) as caught:
        decode(bad)
    assert caught.value.code == "checksum"


def test_lower_case_crc_is_refused():
    text = encode(
        QrPayload(currency="USD", merchant_name="A", merchant_city="B", account_number="1011000245")
    )
    if text[-4:].upper() != text[-4:].lower():
        with pytest.raises(EmvError):
            decode(text[:-4] + text[-4:].lower())


def test_dynamic_code_never_carries_the_account():
    with pytest.raises(EmvError):
        encode(
            QrPayload(
                currency="BOB",
                merchant_name="A",
                merchant_city="B",
                dynamic=True,
                token="ABCDEFGH12",
                account_number="1011000245",
            )
        )


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=600), payloads().map(encode).map(lambda t: t[:-8])))
def test_any_text_is_read_or_refused_with_a_message_never_crashes(text):
    try:
        payload = decode(text)
    except EmvError as exc:
        assert exc.message
    else:
        assert encode(payload) == text
