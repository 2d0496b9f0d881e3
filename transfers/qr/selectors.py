"""QR reads: what a pasted or photographed payload asks to pay, and a member's codes."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from beneficiaries.models import Bank
from ledger.models import Account, mask_account_number

from ..models import TransferStatus, TransferType
from ..services import debitable_accounts
from . import emv
from .models import QrCode
from .services import QrError, qr_code_unusable_reason

# Transfers that moved (or are moving) money: what a code "collected".
COLLECTED_STATUSES = (TransferStatus.POSTED, TransferStatus.SENT, TransferStatus.SETTLED)


@dataclass(frozen=True)
class QrIntent:
    """A payment the QR asks for, resolved against the database: the wizard's prefill.

    ``amount`` and ``reference`` are locked in the wizard when set. For a cooperative code
    with a token they come from the code's row, never from the image."""

    payload: str
    transfer_type: str
    currency: str
    payee_name: str
    amount: Decimal | None = None
    reference: str = ""
    token: str = ""
    destination_account_id: int | None = None
    destination_number: str = ""
    bank_id: int | None = None
    bank_name: str = ""

    @property
    def masked_number(self) -> str:
        return mask_account_number(self.destination_number)


def qr_resolve(*, user, text: str) -> QrIntent:
    """Read ``text`` (a payload) and check what it names; :class:`QrError` otherwise."""
    try:
        payload = emv.decode((text or "").strip())
    except emv.EmvError as exc:
        raise QrError(exc.message, exc.code) from exc
    if payload.other_bank:
        intent = _other_bank(payload)
    elif payload.token:
        intent = _coop_code(payload)
    else:
        intent = _coop_static(payload)
    if (
        intent.destination_account_id is not None
        and Account.objects.filter(
            pk=intent.destination_account_id, holder_links__member_id=user.member_id
        ).exists()
    ):
        raise QrError(_("This QR code is for one of your own accounts."), "own")
    if not debitable_accounts(member_id=user.member_id).filter(currency=intent.currency).exists():
        raise QrError(
            _("None of your accounts can pay this QR code: it asks for %(currency)s.")
            % {"currency": "Bs" if intent.currency == "BOB" else "$us"},
            "currency",
        )
    return intent


def _read_intent(payload: emv.QrPayload, transfer_type: str, **destination) -> QrIntent:
    """A payment as the code itself states it (not one of our stored codes, whose own record
    is what is paid): its payee, currency, amount and reference, to ``destination``."""
    return QrIntent(
        payload=emv.encode(payload),
        transfer_type=transfer_type,
        currency=payload.currency,
        payee_name=payload.merchant_name,
        amount=payload.amount,
        reference=payload.reference,
        **destination,
    )


def _other_bank(payload: emv.QrPayload) -> QrIntent:
    bank = Bank.objects.filter(code=payload.bank_code, is_active=True).first()
    if bank is None:
        raise QrError(_("The bank of this QR code is not available for transfers."), "bank")
    return _read_intent(
        payload,
        TransferType.OTHER_BANK,
        destination_number=payload.account_number,
        bank_id=bank.pk,
        bank_name=bank.name,
    )


def _coop_code(payload: emv.QrPayload) -> QrIntent:
    code = QrCode.objects.select_related("account").filter(token=payload.token).first()
    if (reason := qr_code_unusable_reason(code)) is not None:
        raise QrError(reason, "unusable")
    # A static (reusable) code also carries the account number: it must be the code's own.
    if (
        payload.dynamic != code.single_use
        or (payload.account_number and payload.account_number != code.account.number)
        or (not payload.dynamic and not payload.account_number)
        or payload.currency != code.currency
        or payload.amount != code.amount
    ):
        raise QrError(_("This QR code does not match our records."), "mismatch")
    return QrIntent(
        payload=code.payload,
        transfer_type=TransferType.THIRD_PARTY,
        currency=code.currency,
        payee_name=code.merchant_name,
        amount=code.amount,
        reference=code.reference,
        token=code.token,
        destination_account_id=code.account_id,
        destination_number=code.account.number,
    )


def _coop_static(payload: emv.QrPayload) -> QrIntent:
    account = Account.objects.filter(
        number=payload.account_number, kind=Account.Kind.MEMBER, status=Account.Status.OPEN
    ).first()
    if account is None or account.currency != payload.currency:
        raise QrError(_("The account of this QR code cannot receive payments."), "account")
    return _read_intent(
        payload,
        TransferType.THIRD_PARTY,
        destination_account_id=account.pk,
        destination_number=account.number,
    )


def qr_codes_list(*, member_id: int | None):
    """The member's codes, newest first, each with what it collected and when last."""
    collected = Q(transfers__status__in=COLLECTED_STATUSES)
    return (
        QrCode.objects.filter(member_id=member_id)
        .select_related("account")
        .annotate(
            collected=Sum("transfers__credit_amount", filter=collected),
            payments=Count("transfers", filter=collected),
            last_paid_at=Max("transfers__posted_at", filter=collected),
            # Read by QrCode.is_held: "pending", not "paid", while co-holders decide.
            awaiting_cosign=Count(
                "transfers", filter=Q(transfers__status=TransferStatus.PENDING_COSIGN)
            ),
        )
    )


def qr_code_get(*, member_id: int | None, pk: int) -> QrCode | None:
    return qr_codes_list(member_id=member_id).filter(pk=pk).first()


def qr_code_payments(*, code: QrCode):
    return code.transfers.filter(status__in=COLLECTED_STATUSES).order_by("-posted_at", "-pk")
