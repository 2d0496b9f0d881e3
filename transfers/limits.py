"""Daily limits: the institutional one (staff, ``DailyLimit``) and the member's own lower one
(``MemberDailyLimit``, "Configuración personal").

Lowering a personal limit takes effect at once. Raising it (the view asks for the PIN first)
only takes effect after ``TRANSFER_LIMIT_RAISE_DELAY`` (default 24 hours): the delay is the
point of a personal brake, since whoever holds a stolen session should not be able to release
it and spend in the same minute. Every change is audited and emailed through the outbox.

:func:`member_limit_set` takes ``signature``, a receipt (:mod:`accounts.signing`) for
``TransferPurpose.LIMIT_SET`` (:mod:`transfers.events`) over :func:`member_limit_fingerprint`,
consumed in its transaction. A raise is refused without one; a lowering (which only reduces
what can leave the account, so a member who fears a stolen session can brake at once) may pass
``signature=None``, and a receipt it is given is still checked and used up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import signing_restriction_error
from accounts.signing import SignatureReceipt, SignatureRefused, fingerprint_of, signature_consume
from audit.services import audit_record
from ledger.money import format_money, has_cents_only
from outbox.services import email_enqueue

from .events import TransferEvent, TransferPurpose
from .exceptions import TransferError
from .models import DailyLimit, MemberDailyLimit, TransferType
from .run_figures import kept


def member_limit_fingerprint(*, transfer_type: str, amount_bob: Decimal) -> str:
    return fingerprint_of(TransferPurpose.LIMIT_SET, transfer_type, f"{amount_bob:.2f}")


def raise_delay() -> timedelta:
    return settings.TRANSFER_LIMIT_RAISE_DELAY


def institutional_limit(*, transfer_type: str) -> Decimal | None:
    # Kept for a moment by a batch job (transfers.run_figures); read each time otherwise.
    limit = kept(
        ("limit", transfer_type),
        lambda: DailyLimit.objects.filter(transfer_type=transfer_type).first(),
    )
    return limit.amount_bob if limit is not None else None


def personal_limit_now(
    *,
    amount: Decimal | None,
    pending_amount: Decimal | None,
    pending_at: datetime | None,
    now: datetime,
) -> Decimal | None:
    """The member's own limit in force at ``now`` from its row's three fields (``amount``
    None: no row): a pending raise counts once its time came."""
    if pending_amount is not None and pending_at is not None and pending_at <= now:
        return pending_amount
    return amount


def _personal_now(row: MemberDailyLimit | None, now: datetime) -> Decimal | None:
    if row is None:
        return None
    return personal_limit_now(
        amount=row.amount_bob,
        pending_amount=row.pending_amount_bob,
        pending_at=row.pending_effective_at,
        now=now,
    )


def limit_in_force(*, institutional: Decimal | None, personal: Decimal | None) -> Decimal | None:
    """The lower of the institutional and the member's own limit (None: no limit at all)."""
    candidates = [x for x in (institutional, personal) if x is not None]
    return min(candidates) if candidates else None


def effective_limit(*, member_id: int, transfer_type: str, now: datetime) -> Decimal | None:
    """The lower of the institutional and the member's own limit (None: no limit at all).
    Pricing reads the same figures in its one statement (``transfers.quotes.member_figures``)."""
    institutional = institutional_limit(transfer_type=transfer_type)
    row = MemberDailyLimit.objects.filter(member_id=member_id, transfer_type=transfer_type).first()
    return limit_in_force(institutional=institutional, personal=_personal_now(row, now))


@dataclass(frozen=True)
class LimitRow:
    transfer_type: str
    label: str
    institutional: Decimal | None
    current: Decimal | None
    pending: Decimal | None
    pending_at: datetime | None


def member_limits_list(*, member_id: int, now: datetime | None = None) -> list[LimitRow]:
    """One row per transfer type for the settings page."""
    now = now or timezone.now()
    rows = {r.transfer_type: r for r in MemberDailyLimit.objects.filter(member_id=member_id)}
    result = []
    for transfer_type in TransferType:
        institutional = institutional_limit(transfer_type=transfer_type)
        row = rows.get(transfer_type)
        personal = _personal_now(row, now)
        pending_open = (
            row is not None
            and row.pending_amount_bob is not None
            and row.pending_effective_at > now
        )
        current = (
            min(x for x in (institutional, personal) if x is not None)
            if (institutional is not None or personal is not None)
            else None
        )
        result.append(
            LimitRow(
                transfer_type=transfer_type,
                label=str(transfer_type.label),
                institutional=institutional,
                current=current,
                pending=row.pending_amount_bob if pending_open else None,
                pending_at=row.pending_effective_at if pending_open else None,
            )
        )
    return result


def member_limit_is_raise(*, member_id: int, transfer_type: str, amount_bob: Decimal) -> bool:
    """Would ``amount_bob`` raise the member's limit in force now? (Then the PIN is needed.)"""
    current = effective_limit(member_id=member_id, transfer_type=transfer_type, now=timezone.now())
    return current is None or amount_bob > current


def member_limit_validate(*, transfer_type: str, amount_bob: Decimal) -> Decimal | None:
    """Shape and range of a personal limit; returns the institutional limit (TransferError)."""
    if transfer_type not in TransferType.values:
        raise TransferError(_("Choose a valid transfer type."), field="transfer_type")
    if not isinstance(amount_bob, Decimal) or not amount_bob.is_finite() or amount_bob < 0:
        raise TransferError(_("Enter a valid amount."), field="amount_bob")
    if not has_cents_only(amount_bob):
        raise TransferError(_("The amount may have at most two decimals."), field="amount_bob")
    institutional = institutional_limit(transfer_type=transfer_type)
    if institutional is not None and amount_bob > institutional:
        raise TransferError(
            _("Your limit cannot be higher than the cooperative's limit (%(limit)s).")
            % {"limit": format_money(institutional, "BOB")},
            field="amount_bob",
        )
    return institutional


def member_limit_set(
    *,
    user,
    transfer_type: str,
    amount_bob: Decimal,
    signature: SignatureReceipt | None,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> MemberDailyLimit:
    """Set the member's own daily limit for ``transfer_type`` (BOB equivalent).

    ``signature`` is the member's receipt for this change (see the module docstring); a
    raise without one is refused. Lowering applies now and cancels a pending raise; raising
    is scheduled.
    """
    now = now or timezone.now()
    if user.member_id is None:
        raise TransferError(_("Only members can make transfers."))
    institutional = member_limit_validate(transfer_type=transfer_type, amount_bob=amount_bob)
    try:
        return _limit_set(
            user=user,
            transfer_type=transfer_type,
            amount_bob=amount_bob,
            signature=signature,
            institutional=institutional,
            ip_address=ip_address,
            now=now,
        )
    except SignatureRefused as exc:
        raise TransferError(exc.message) from exc


def _limit_set(
    *,
    user,
    transfer_type: str,
    amount_bob: Decimal,
    signature: SignatureReceipt | None,
    institutional: Decimal | None,
    ip_address: str | None,
    now: datetime,
) -> MemberDailyLimit:
    with transaction.atomic():
        signed = signature is not None
        if signed:
            signature_consume(
                signature=signature,
                user=user,
                purpose=TransferPurpose.LIMIT_SET,
                fingerprint=member_limit_fingerprint(
                    transfer_type=transfer_type, amount_bob=amount_bob
                ),
            )
        row = (
            MemberDailyLimit.objects.select_for_update()
            .filter(member_id=user.member_id, transfer_type=transfer_type)
            .first()
        )
        current = _personal_now(row, now)
        if current is None:
            current = institutional
        old = {
            "amount_bob": str(row.amount_bob) if row else None,
            "pending_amount_bob": (
                str(row.pending_amount_bob) if row and row.pending_amount_bob else None
            ),
        }
        if row is None:
            row = MemberDailyLimit(member_id=user.member_id, transfer_type=transfer_type)
        raising = current is not None and amount_bob > current
        if raising:
            if not signed:
                raise TransferError(_("Raising a limit needs your PIN."))
            if msg := signing_restriction_error(user=user):  # after a PIN reset/device change
                raise TransferError(msg)
            # The lower limit stays in force until the delay passes.
            row.amount_bob = current
            row.pending_amount_bob = amount_bob
            row.pending_effective_at = now + raise_delay()
        else:
            row.amount_bob = amount_bob
            row.pending_amount_bob = None
            row.pending_effective_at = None
        row.save()
        audit_record(
            actor=user,
            event=TransferEvent.LIMIT_RAISE_REQUESTED if raising else TransferEvent.LIMIT_LOWERED,
            subject=user.member,
            old=old,
            new={
                "transfer_type": transfer_type,
                "amount_bob": str(row.amount_bob),
                "pending_amount_bob": str(row.pending_amount_bob) if raising else None,
                "effective_at": row.pending_effective_at.isoformat() if raising else None,
            },
            ip_address=ip_address,
        )
        email = user.email or user.member.email
        if email:
            email_enqueue(
                to=email,
                subject=_("ProgresoNet: your daily transfer limit changed"),
                template="transfers/email/limit_changed",
                context={
                    "limit": row,
                    "label": str(TransferType(transfer_type).label),
                    "raising": raising,
                    "amount": amount_bob,
                },
            )
    return row
