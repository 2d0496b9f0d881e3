"""QR services: issue and revoke a collection code; claim a code inside a transfer.

Issuing a code ("Cobrar con QR") and revoking it take no PIN signature: a code only lets
OTHER members pay IN to an account the issuer already holds, so it moves no money and does
not change who can receive the issuer's money (docs/qr.md). Paying one is an ordinary
third-party transfer (:func:`transfers.services.transfer_execute`, signed with the PIN):
the order carries the code's token, the signed fingerprint covers it, and
:func:`qr_code_claim` locks the code row and consumes a single-use code in the transfer's
own transaction, so two payments of one code post once.

A single-use code paid from a joint account is *held* while the co-holders decide: it stays
``used`` (nobody else can pay it) and reads as pending, derived from its pending transfer
(:meth:`QrCode.is_held`). If they decline or the wait expires, no money moved and
:func:`qr_code_release` gives the code back in the same transaction (docs/qr.md).
"""

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from ledger.models import Account, Holder
from ledger.selectors import member_accounts_list
from progresonet.forms import text_clean

from ..events import TransferEvent
from ..exceptions import TransferError
from . import emv
from .models import QrCode, QrCodeStatus


class QrError(Exception):
    """A refused QR operation; ``message`` is for the member (Spanish)."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(code)
        self.message = message
        self.code = code


def qr_account_holder_name(*, account: Account) -> str:
    """The name printed on the code: the account's owner, ASCII-folded to 25 characters."""
    holder = (
        Holder.objects.filter(account=account)
        .select_related("member")
        .order_by("-role", "pk")  # "owner" sorts after "co_owner": the owner first
        .first()
    )
    name = emv.ascii_fold(holder.member.display_name if holder else "", emv.NAME_MAX)
    return name or "SOCIO"


def _end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def qr_code_create(
    *,
    user,
    account_id: int,
    amount: Decimal | None,
    reference: str,
    single_use: bool,
    valid_until: date | None,
    ip_address: str | None = None,
) -> QrCode:
    """Issue a code to collect into one of the member's open accounts."""
    account = (
        member_accounts_list(member_id=user.member_id, with_holders=False)
        .filter(pk=account_id, status=Account.Status.OPEN)
        .first()
    )
    if account is None:
        raise QrError(_("Choose one of your open accounts."), "account")
    today = timezone.localdate()
    if valid_until is None:
        if not single_use:
            raise QrError(_("A reusable code needs a date until which it is valid."), "date")
        valid_until = today + timedelta(days=settings.QR_SINGLE_USE_DAYS)
    if valid_until < today or valid_until > today + timedelta(days=settings.QR_MAX_VALID_DAYS):
        raise QrError(
            _("The date must be between today and %(days)s days from today.")
            % {"days": settings.QR_MAX_VALID_DAYS},
            "date",
        )
    reference = emv.ascii_fold(text_clean(reference or ""), emv.REFERENCE_MAX)
    if amount is not None and (amount <= 0 or amount != amount.quantize(Decimal("0.01"))):
        raise QrError(_("Enter a valid amount, for example 1.000,50."), "amount")
    token = secrets.token_hex(10).upper()
    name = qr_account_holder_name(account=account)
    payload = emv.encode(
        emv.QrPayload(
            currency=account.currency,
            merchant_name=name,
            merchant_city=emv.ascii_fold(settings.QR_MERCHANT_CITY, emv.CITY_MAX) or "BOLIVIA",
            dynamic=single_use,
            token=token,
            # A reusable (static) code also carries the account number, checked at pay time.
            account_number="" if single_use else account.number,
            amount=amount,
            reference=reference,
        )
    )
    with transaction.atomic():
        code = QrCode.objects.create(
            member_id=user.member_id,
            created_by=user,
            account=account,
            token=token,
            currency=account.currency,
            amount=amount,
            reference=reference,
            single_use=single_use,
            expires_at=_end_of_day(valid_until),
            merchant_name=name,
            payload=payload,
        )
        audit_record(
            actor=user,
            event=TransferEvent.QR_CREATED,
            subject=code,
            new={
                "account": account.number,
                "amount": str(amount) if amount is not None else "",
                "single_use": single_use,
                "valid_until": valid_until.isoformat(),
            },
            ip_address=ip_address,
        )
    return code


def qr_code_revoke(*, user, code_id: int, ip_address: str | None = None) -> QrCode:
    """Revoke one of the member's codes (no PIN: it only stops money coming in). A code held
    by a payment awaiting a co-holder's signature may be revoked too: that payment then never
    posts (the last signature finds the code revoked), so a payer with a joint account cannot
    keep someone's code blocked by leaving payments pending."""
    with transaction.atomic():
        code = (
            QrCode.objects.select_for_update().filter(pk=code_id, member_id=user.member_id).first()
        )
        if code is None:
            raise QrError(_("QR code not found."), "not_found")
        if code.status != QrCodeStatus.ACTIVE and not code.is_held():
            raise QrError(_("This QR code can no longer be revoked."), "state")
        code.status = QrCodeStatus.REVOKED
        code.revoked_at = timezone.now()
        code.save(update_fields=["status", "revoked_at"])
        audit_record(
            actor=user, event=TransferEvent.QR_REVOKED, subject=code, ip_address=ip_address
        )
    return code


def _awaiting_message() -> str:
    return _(
        "This QR code has a payment awaiting a co-holder's signature. It can be paid again "
        "only if that payment is declined or expires."
    )


def qr_code_unusable_reason(code: QrCode | None, *, now: datetime | None = None) -> str | None:
    """Why ``code`` cannot be paid now (a Spanish message), or None."""
    if code is None:
        return _("This QR code does not exist.")
    if code.status == QrCodeStatus.REVOKED:
        return _("This QR code was revoked by its owner.")
    if code.status == QrCodeStatus.USED:
        return _awaiting_message() if code.is_held() else _("This QR code was already paid.")
    if code.is_expired(now):
        return _("This QR code has expired.")
    if code.account.status != Account.Status.OPEN:
        return _("The account of this QR code cannot receive payments.")
    return None


def _order_matches(code: QrCode, order) -> str | None:
    from ..models import TransferType

    if (
        order.transfer_type != TransferType.THIRD_PARTY
        or order.beneficiary_id is not None
        or order.destination_account_id != code.account_id
        or order.currency != code.currency
        or (code.amount is not None and order.amount != code.amount)
        or (code.reference and order.description.strip() != code.reference)
    ):
        return _("The payment does not match the QR code. Start again from “Pay with QR”.")
    return None


def qr_code_check(*, order) -> None:
    """Read-only: the order's code can be paid as ordered (the wizard's pricing steps)."""
    code = QrCode.objects.select_related("account").filter(token=order.qr_token).first()
    reason = qr_code_unusable_reason(code) or _order_matches(code, order)
    if reason:
        raise TransferError(reason)


def qr_code_claim(*, order) -> QrCode:
    """Inside the transfer's transaction: lock the order's code, check it still accepts this
    payment, and consume it when single use. A concurrent second payment waits on the row
    lock and then finds the code used, so its whole transaction (signature use included)
    rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("qr_code_claim must run inside the transfer's transaction")
    code = (
        QrCode.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(token=order.qr_token)
        .first()
    )
    reason = qr_code_unusable_reason(code) or _order_matches(code, order)
    if reason:
        raise TransferError(reason)
    if code.single_use:
        code.status = QrCodeStatus.USED
        code.used_at = timezone.now()
        code.save(update_fields=["status", "used_at"])
    return code


def qr_code_release(*, transfer, actor=None, reason: str) -> QrCode | None:
    """Inside the transaction that moves ``transfer`` from pending co-signature to declined or
    expired (no money moved): give its single-use code back. Locks the code row; only a code
    still ``used`` is touched (a revoked one stays revoked), so a second call for the same
    transfer finds nothing to do. A code whose date passed meanwhile is not shown as paid
    either: ``used_at`` is cleared and its state reads "expired", so it stays unpayable."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("qr_code_release must run inside the transfer's transaction")
    if transfer.qr_code_id is None:
        return None
    code = (
        QrCode.objects.select_for_update()
        .filter(pk=transfer.qr_code_id, single_use=True, status=QrCodeStatus.USED)
        .first()
    )
    # Another posted or pending payment of this code (never expected: a single-use code is
    # claimed once) keeps it used.
    if code is None or code.transfers.exclude(pk=transfer.pk).filter(_live_payment()).exists():
        return None
    expired = code.is_expired()
    code.status = QrCodeStatus.ACTIVE
    code.used_at = None
    code.save(update_fields=["status", "used_at"])
    audit_record(
        actor=actor,
        event=TransferEvent.QR_RELEASED,
        subject=code,
        old={"status": QrCodeStatus.USED},
        new={"status": QrCodeStatus.ACTIVE, "transfer": transfer.pk, "reason": reason}
        | ({"expired": True} if expired else {}),
    )
    return code


def _live_payment():
    from django.db.models import Q

    from ..models import TransferStatus

    return ~Q(status__in=(TransferStatus.DECLINED, TransferStatus.EXPIRED))
