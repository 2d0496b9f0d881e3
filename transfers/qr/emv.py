"""EMV® QR Code merchant-presented mode: encode and decode, nothing else (pure functions).

A payload is a string of data objects ``ID (2 digits) · length (2 digits) · value``; the
CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR) over
everything up to and including ``"6304"`` is the last object's value, four upper-case hex
digits. The layout ProgresoNet writes and reads is documented in ``docs/qr.md``:

- ``00`` payload format indicator ``"01"`` (first), ``01`` point of initiation ``"11"``
  (static, reusable) or ``"12"`` (dynamic, one payment);
- ``26`` the cooperative's merchant account template: ``00`` globally unique identifier
  :data:`COOP_GUI`, ``01`` the account number (static codes only), ``02`` the server-side
  token (codes the portal issued);
- ``27`` an account at another bank (interbank, through the ACH): ``00`` :data:`ACH_GUI`,
  ``01`` the bank's code, ``02`` the account number;
- ``52`` merchant category code, ``53`` currency (``068`` BOB, ``840`` USD), ``54`` amount
  (optional), ``58`` country ``"BO"``, ``59`` merchant name (≤ 25), ``60`` city (≤ 15),
  ``62`` additional data with ``05`` the reference ("Glosa", ≤ 25); ``63`` the CRC, last.

Values are printable ASCII (the EMV "ans" set), so every character is one byte and lengths
count bytes. Anything else, a duplicated or misplaced object, a wrong length or a CRC that
does not match is refused with :class:`EmvError` (a Spanish ``message``); decoding never
guesses.
"""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

COOP_GUI = "bo.coop.progreso"
ACH_GUI = "bo.ach"
COOP_TEMPLATE = "26"
ACH_TEMPLATE = "27"
CURRENCY_CODES = {"BOB": "068", "USD": "840"}
CURRENCY_BY_CODE = {code: name for name, code in CURRENCY_CODES.items()}
DEFAULT_MCC = "4829"  # money transfer: a member collecting from another is not a shop
NAME_MAX = 25
CITY_MAX = 15
REFERENCE_MAX = 25
AMOUNT_MAX_CHARS = 13
TOKEN_RE = re.compile(r"^[A-Z0-9]{8,32}$")
ACCOUNT_RE = re.compile(r"^[0-9]{6,20}$")
BANK_CODE_RE = re.compile(r"^[A-Z0-9]{2,10}$")
PAYLOAD_MAX = 512
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")


class EmvError(ValueError):
    """A payload that cannot be read; ``message`` is for the member (Spanish)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(code)
        self.message = message
        self.code = code


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def ascii_fold(text: str, limit: int) -> str:
    """``text`` as printable ASCII (accents dropped, anything else a space), squeezed, cut to
    ``limit`` characters: the merchant name and city must be "ans"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(
        c if " " <= c <= "~" else " " for c in decomposed if not unicodedata.combining(c)
    )
    return " ".join(ascii_only.split())[:limit].strip()


@dataclass(frozen=True)
class QrPayload:
    """What a payload says. Exactly one destination: ``token`` and/or ``account_number`` at
    the cooperative, or ``bank_code`` + ``account_number`` at another bank."""

    currency: str
    merchant_name: str
    merchant_city: str
    dynamic: bool = False
    token: str = ""
    account_number: str = ""
    bank_code: str = ""
    amount: Decimal | None = None
    reference: str = ""
    mcc: str = DEFAULT_MCC
    country: str = "BO"

    @property
    def other_bank(self) -> bool:
        return bool(self.bank_code)


def _bad(code: str) -> EmvError:
    messages = {
        "format": _("The QR code is not a payment code we can read."),
        "checksum": _("The QR code is damaged: its checksum does not match."),
        "account": _("The QR code does not name a valid account."),
        "currency": _("The QR code is in a currency we do not handle (only Bs and $us)."),
        "amount": _("The QR code carries an invalid amount."),
        "country": _("The QR code is not for a payment in Bolivia."),
    }
    return EmvError(messages[code], code)


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99 or not _PRINTABLE.match(value):
        raise _bad("format")
    return f"{tag}{len(value):02d}{value}"


def format_amount(amount: Decimal) -> str:
    text = f"{amount.quantize(Decimal('0.01')):f}"
    if amount <= 0 or len(text) > AMOUNT_MAX_CHARS:
        raise _bad("amount")
    return text


def _check(payload: QrPayload) -> None:
    if payload.currency not in CURRENCY_CODES:
        raise _bad("currency")
    if payload.country != "BO":
        raise _bad("country")
    if payload.bank_code:
        if payload.token or payload.dynamic or not BANK_CODE_RE.match(payload.bank_code):
            raise _bad("account")
        if not ACCOUNT_RE.match(payload.account_number):
            raise _bad("account")
    else:
        if not payload.token and not payload.account_number:
            raise _bad("account")
        if payload.token and not TOKEN_RE.match(payload.token):
            raise _bad("account")
        if payload.account_number and not ACCOUNT_RE.match(payload.account_number):
            raise _bad("account")
        # A dynamic code is resolved by its token alone: the account is never in the image.
        if payload.dynamic and (not payload.token or payload.account_number):
            raise _bad("account")
    if not re.fullmatch(r"[0-9]{4}", payload.mcc):
        raise _bad("format")
    for text, limit in (
        (payload.merchant_name, NAME_MAX),
        (payload.merchant_city, CITY_MAX),
        (payload.reference, REFERENCE_MAX),
    ):
        if len(text) > limit or not _PRINTABLE.match(text) or text != text.strip():
            raise _bad("format")
    if not payload.merchant_name or not payload.merchant_city:
        raise _bad("format")
    if payload.amount is not None:
        format_amount(payload.amount)
        if payload.amount != payload.amount.quantize(Decimal("0.01")):
            raise _bad("amount")


def encode(payload: QrPayload) -> str:
    """The payload text (what the QR image holds), CRC included."""
    _check(payload)
    if payload.bank_code:
        template = ACH_TEMPLATE
        account = _tlv("00", ACH_GUI) + _tlv("01", payload.bank_code)
        account += _tlv("02", payload.account_number)
    else:
        template = COOP_TEMPLATE
        account = _tlv("00", COOP_GUI)
        if payload.account_number:
            account += _tlv("01", payload.account_number)
        if payload.token:
            account += _tlv("02", payload.token)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "12" if payload.dynamic else "11"),
        _tlv(template, account),
        _tlv("52", payload.mcc),
        _tlv("53", CURRENCY_CODES[payload.currency]),
    ]
    if payload.amount is not None:
        parts.append(_tlv("54", format_amount(payload.amount)))
    parts += [
        _tlv("58", payload.country),
        _tlv("59", payload.merchant_name),
        _tlv("60", payload.merchant_city),
    ]
    if payload.reference:
        parts.append(_tlv("62", _tlv("05", payload.reference)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse_objects(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(tag, value)`` pairs; refuses anything that does not split
    exactly (a length running past the end, a non-digit tag or length)."""
    objects, pos = [], 0
    while pos < len(text):
        head = text[pos : pos + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise _bad("format")
        length = int(head[2:])
        value = text[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise _bad("format")
        objects.append((head[:2], value))
        pos += 4 + length
    return objects


def _unique(objects: list[tuple[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag, value in objects:
        if tag in found:
            raise _bad("format")
        found[tag] = value
    return found


def decode(text: str) -> QrPayload:
    """The :class:`QrPayload` in ``text``, or :class:`EmvError`."""
    if not isinstance(text, str) or not text or len(text) > PAYLOAD_MAX:
        raise _bad("format")
    if not _PRINTABLE.match(text):
        raise _bad("format")
    # The checksum first: a damaged payload says so rather than something about its fields.
    if len(text) < 8 or text[-8:-4] != "6304":
        raise _bad("format")
    expected = f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}"
    if text[-4:] != expected:
        raise _bad("checksum")
    objects = parse_objects(text)
    if not objects or objects[0] != ("00", "01") or objects[-1][0] != "63":
        raise _bad("format")
    fields = _unique(objects)
    initiation = fields.get("01", "11")
    if initiation not in ("11", "12"):
        raise _bad("format")
    coop, ach = fields.get(COOP_TEMPLATE), fields.get(ACH_TEMPLATE)
    if (coop is None) == (ach is None):
        raise _bad("account")
    token = account_number = bank_code = ""
    if coop is not None:
        sub = _unique(parse_objects(coop))
        if sub.get("00") != COOP_GUI or set(sub) - {"00", "01", "02"}:
            raise _bad("account")
        account_number, token = sub.get("01", ""), sub.get("02", "")
    else:
        sub = _unique(parse_objects(ach))
        if sub.get("00") != ACH_GUI or set(sub) != {"00", "01", "02"}:
            raise _bad("account")
        bank_code, account_number = sub["01"], sub["02"]
    currency = CURRENCY_BY_CODE.get(fields.get("53", ""))
    if currency is None:
        raise _bad("currency")
    amount = None
    if "54" in fields:
        raw = fields["54"]
        if not re.fullmatch(r"[0-9]{1,10}(\.[0-9]{1,2})?", raw):
            raise _bad("amount")
        try:
            amount = Decimal(raw).quantize(Decimal("0.01"))
        except InvalidOperation:  # pragma: no cover - the pattern above
            raise _bad("amount") from None
        if amount <= 0:
            raise _bad("amount")
    reference = ""
    if "62" in fields:
        reference = _unique(parse_objects(fields["62"])).get("05", "")
    payload = QrPayload(
        currency=currency,
        merchant_name=fields.get("59", ""),
        merchant_city=fields.get("60", ""),
        dynamic=initiation == "12",
        token=token,
        account_number=account_number,
        bank_code=bank_code,
        amount=amount,
        reference=reference,
        mcc=fields.get("52", ""),
        country=fields.get("58", ""),
    )
    _check(payload)
    return payload
