"""Transfer services: prepare (price and check) and execute (sign-off, post, notify).

A wizard calls :func:`transfer_prepare` to show the summary, keeps the quote's fingerprint,
and after the member signs calls :func:`transfer_execute` with it. Execution re-validates
everything under a lock on the member row (so daily limits and the 5-day regulatory total
cannot be raced), refuses if anything the member saw changed, and posts through the ledger in
the same transaction as the transfer row, its audit row and its emails.

The member's PIN signature is part of the contract: :func:`transfer_execute` and
:func:`transfer_cosign` take a ``signature`` receipt (see :mod:`accounts.signing`) and consume
it in their own transaction over their own fingerprint of what they execute. "Registrar
socio" (the third-party wizard's tick) travels in the order as ``register_alias``: the
transfer service registers the product in the same transaction, so the one PIN the member
typed covers both and neither happens without the other.
"""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member, User
from accounts.selectors import signing_restriction_error
from accounts.signing import SignatureReceipt, SignatureRefused, fingerprint_of, signature_consume
from audit.services import audit_insert_sql, audit_record
from beneficiaries.models import Bank, ThirdPartyProduct
from beneficiaries.rules import mask_name
from ledger import services as ledger
from ledger.codes import InternalAccount
from ledger.exceptions import LedgerError
from ledger.models import Account, Holder, Posting
from ledger.money import format_money
from ledger.retry import atomic_with_retries
from ledger.selectors import internal_account_get, member_accounts_list
from notices.models import NoticeKind
from notices.services import notice_create
from outbox.services import email_enqueue
from progresonet.forms import declaration_is_words, text_clean
from progresonet.sql import insert_columns, names, sql

from .events import TransferEvent, TransferPurpose
from .exceptions import DeclarationsRequired, StaleQuote, TransferError
from .interbank import interbank_order_create
from .models import CoSignature, Transfer, TransferStatus, TransferType
from .qr.models import QrCode, QrCodeStatus
from .qr.services import qr_code_check, qr_code_claim, qr_code_release
from .quotes import (
    FIGURES_COLUMNS,
    FIGURES_MODELS,
    FIGURES_SQL,
    REGULATORY_THRESHOLD_USD,
    MemberFigures,
    Quote,
    figures_of,
    figures_params,
    quote_build,
)


@dataclass(frozen=True)
class TransferOrder:
    """What the member entered in the wizard."""

    transfer_type: str
    source_account_id: int
    currency: str
    amount: Decimal
    description: str
    destination_account_id: int | None = None
    # A registered product ("Producto registrado"): when set, the destination is read from it
    # (never from the fields below), so a tampered post cannot redirect the money.
    beneficiary_id: int | None = None
    bank_id: int | None = None
    destination_number: str = ""
    destination_name: str = ""
    destination_currency: str = ""
    notify_email: str = ""
    funds_origin: str = ""
    funds_destination: str = ""
    # "Registrar socio": register the typed third-party account under this alias, in the
    # transfer's own transaction and under its signature.
    register_alias: str = ""
    # "Pagar con QR": the token of the cooperative code being paid. The transfer claims the
    # code (and consumes a single-use one) in its own transaction (transfers.qr.services).
    qr_token: str = ""


def transfer_signing_fingerprint(*, order: "TransferOrder", expected_fingerprint: str) -> str:
    """What the member's PIN signs for :func:`transfer_execute`: the quote's fingerprint (the
    ends, amounts, fee and rate that post) and everything else of the order that is written."""
    return fingerprint_of(
        TransferPurpose.EXECUTE,
        expected_fingerprint,
        order.description.strip(),
        order.notify_email.strip(),
        order.funds_origin.strip(),
        order.funds_destination.strip(),
        order.register_alias.strip(),
        # The paid QR code is signed too (only when there is one: other fingerprints are
        # unchanged), so a receipt for one code cannot pay another.
        *([f"qr:{order.qr_token}"] if order.qr_token else []),
    )


def transfer_cosign_fingerprint(*, transfer: Transfer, approve: bool) -> str:
    """What a co-holder's PIN signs for :func:`transfer_cosign`: this transfer as the initiator
    signed it (its ``signed_fingerprint``: the ends, amounts, fee and rate) and this decision."""
    return fingerprint_of(
        TransferPurpose.COSIGN,
        transfer.pk,
        transfer.signed_fingerprint,
        "sign" if approve else "decline",
    )


def transfer_transition(*, transfer: Transfer, to: str) -> None:
    try:
        transfer.move_to(to)
    except ValueError as exc:
        raise TransferError(_("This transfer can no longer change its status.")) from exc


def debitable_accounts(*, member_id: int | None):
    """Accounts the member may choose as "Cuenta origen"."""
    return member_accounts_list(member_id=member_id, with_holders=False).filter(
        status=Account.Status.OPEN
    )


# The member's debitable accounts as one plain statement (the same rules as
# debitable_accounts: a member product the member holds, open; the same order as
# member_accounts_list). The wizard reads this list at every step (its steps' forms choose
# among them) and building the ORM query cost more CPU than running it (progresonet.sql).
_DEBITABLE_SQL = (
    "SELECT {a.columns:a} FROM {a} a "
    "WHERE a.{a.kind} = %s AND a.{a.status} = %s "
    "AND EXISTS (SELECT 1 FROM {h} h WHERE h.{h.account} = a.{a.id} AND h.{h.member} = %s) "
    "ORDER BY a.{a.currency}, a.{a.number}"
)


def debitable_accounts_list(*, member_id: int | None) -> list[Account]:
    """:func:`debitable_accounts`, read (see ``_DEBITABLE_SQL``)."""
    if member_id is None:
        return []
    return names(Account).columns.read(
        sql(_DEBITABLE_SQL, a=Account, h=Holder),
        [Account.Kind.MEMBER, Account.Status.OPEN, member_id],
    )


def _source(*, member_id: int, account_id: int) -> Account:
    account = debitable_accounts(member_id=member_id).filter(pk=account_id).first()
    if account is None:
        raise TransferError(_("Choose a valid source account."), field="source_account")
    return account


@dataclass(frozen=True)
class Destination:
    key: str  # the account id, or "bank:<id>:<number>" for other banks
    currency: str
    account: Account | None = None
    product: ThirdPartyProduct | None = None
    bank: Bank | None = None
    number: str = ""
    name: str = ""


# A transfer between the member's own accounts: both accounts (the rules of
# debitable_accounts: a member product the member holds, open) and the member's figures for the
# limits (transfers.quotes.FIGURES_SQL), in ONE statement under the member lock: the signing
# step and every scheduled date pay each round trip. The figures row always comes back; the
# accounts join it (none found: NULL account columns). See progresonet.sql.
_OWN_ENDS_SQL = (
    "SELECT f.*, {a.columns:a} FROM (" + FIGURES_SQL + ") f "  # noqa: S608  # nosec B608 - templates
    "LEFT JOIN {a} a ON a.{a.kind} = %s AND a.{a.status} = %s AND a.{a.id} = ANY(%s) "
    "AND EXISTS (SELECT 1 FROM {h} h WHERE h.{h.account} = a.{a.id} AND h.{h.member} = %s)"
)


def _own_ends(
    *, member_id: int, order: TransferOrder, now: datetime
) -> tuple[Account, Destination, MemberFigures]:
    """Both accounts of a transfer between the member's own accounts and the member's figures
    at ``now``, in one read (the same checks as :func:`_source` and :func:`_destination`)."""
    wanted = [pk for pk in {order.source_account_id, order.destination_account_id} if pk]
    params = figures_params(member_id=member_id, transfer_type=order.transfer_type, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_OWN_ENDS_SQL, **FIGURES_MODELS, a=Account, h=Holder),
            [*params, Account.Kind.MEMBER, Account.Status.OPEN, wanted, member_id],
        )
        rows = cursor.fetchall()
    figures = figures_of(rows[0][:FIGURES_COLUMNS], now=now)
    accounts = names(Account).columns.instances(
        row[FIGURES_COLUMNS:] for row in rows if row[FIGURES_COLUMNS] is not None
    )
    found = {account.pk: account for account in accounts}
    source = found.get(order.source_account_id)
    if source is None:
        raise TransferError(_("Choose a valid source account."), field="source_account")
    account = found.get(order.destination_account_id)
    if account is None or account.pk == source.pk:
        raise _invalid_destination()
    destination = Destination(key=str(account.pk), currency=account.currency, account=account)
    return source, destination, figures


def _invalid_destination() -> TransferError:
    return TransferError(_("Choose a valid destination account."), field="destination")


def _product(*, member_id: int, order: TransferOrder, kind: str) -> ThirdPartyProduct:
    """The member's live product of ``kind``: re-checked at every step, execution included,
    so a product deleted (or never the member's) in between refuses the transfer."""
    product = (
        ThirdPartyProduct.objects.filter(
            pk=order.beneficiary_id, owner_id=member_id, kind=kind, deleted_at__isnull=True
        )
        .select_related("bank")
        .first()
    )
    if product is None:
        raise TransferError(
            _("The registered product is no longer available. Choose another destination."),
            field="destination",
        )
    return product


def _third_party_account(*, member_id: int, account_id: int | None) -> Account:
    account = (
        Account.objects.filter(pk=account_id, kind=Account.Kind.MEMBER, status=Account.Status.OPEN)
        .exclude(holder_links__member_id=member_id)
        .first()
        if account_id is not None
        else None
    )
    if account is None:
        raise _invalid_destination()
    return account


def _destination(*, member_id: int, order: TransferOrder) -> Destination:
    if order.transfer_type == TransferType.OTHER_BANK:
        if order.beneficiary_id is not None:
            product = _product(
                member_id=member_id, order=order, kind=ThirdPartyProduct.Kind.OTHER_BANK
            )
            if not product.bank.is_active:
                raise TransferError(
                    _("The destination bank is not available at the moment."),
                    field="destination",
                )
            return Destination(
                key=f"bank:{product.bank_id}:{product.number}",
                currency=product.currency,
                product=product,
                bank=product.bank,
                number=product.number,
                name=product.holder_name,
            )
        bank = Bank.objects.filter(pk=order.bank_id, is_active=True).first()
        if (
            bank is None
            or not order.destination_number
            or order.destination_currency not in ("BOB", "USD")
        ):
            raise _invalid_destination()
        return Destination(
            key=f"bank:{bank.pk}:{order.destination_number}",
            currency=order.destination_currency,
            bank=bank,
            number=order.destination_number,
            name=order.destination_name,
        )
    if order.transfer_type == TransferType.THIRD_PARTY:
        if order.beneficiary_id is not None:
            product = _product(member_id=member_id, order=order, kind=ThirdPartyProduct.Kind.MEMBER)
            account = _third_party_account(member_id=member_id, account_id=product.account_id)
        else:
            account = _third_party_account(
                member_id=member_id, account_id=order.destination_account_id
            )
            # A typed number the member registered before still counts as that product.
            product = ThirdPartyProduct.objects.filter(
                owner_id=member_id, account=account, deleted_at__isnull=True
            ).first()
        if account.pk == order.source_account_id:
            raise _invalid_destination()
        return Destination(
            key=str(account.pk),
            currency=account.currency,
            account=account,
            product=product,
            number=account.number,
            name=product.holder_name if product else "",
        )
    account = (
        member_accounts_list(member_id=member_id, with_holders=False)
        .filter(pk=order.destination_account_id, status=Account.Status.OPEN)
        .first()
        if order.destination_account_id is not None
        else None
    )
    if account is None or account.pk == order.source_account_id:
        raise _invalid_destination()
    return Destination(key=str(account.pk), currency=account.currency, account=account)


def transfer_destination(*, user, order: TransferOrder) -> Destination:
    """The checked destination of ``order`` (for the wizard's summary labels)."""
    return _destination(member_id=user.member_id, order=order)


def transfer_prepare(*, user, order: TransferOrder, now: datetime | None = None) -> Quote:
    """Price and check a transfer for the summary page (step 4). Writes nothing."""
    return _checked(user=user, order=order, now=now).quote


@dataclass(frozen=True)
class _Checked:
    source: Account
    destination: Destination
    quote: Quote


def _checked(*, user, order: TransferOrder, now: datetime | None = None) -> _Checked:
    """The order's source, destination and quote, every rule checked; writes nothing."""
    if user.member_id is None:
        raise TransferError(_("Only members can make transfers."))
    # After a PIN reset or a device change only own-account transfers (accounts.selectors).
    if order.transfer_type != TransferType.OWN and (msg := signing_restriction_error(user=user)):
        raise TransferError(msg)
    now = now or timezone.now()
    figures = None
    if order.transfer_type == TransferType.OWN:
        source, destination, figures = _own_ends(member_id=user.member_id, order=order, now=now)
    else:
        source = _source(member_id=user.member_id, account_id=order.source_account_id)
        destination = _destination(member_id=user.member_id, order=order)
    quote = quote_build(
        member_id=user.member_id,
        transfer_type=order.transfer_type,
        source=source,
        destination_key=destination.key,
        destination_currency=destination.currency,
        currency=order.currency,
        amount=order.amount,
        now=now,
        beneficiary=destination.product,
        # The new-beneficiary cap is kept per destination account (never per product row).
        destination_account_id=(
            destination.account.pk if order.transfer_type == TransferType.THIRD_PARTY else None
        ),
        destination_bank_id=destination.bank.pk if destination.bank else None,
        destination_number=destination.number if destination.bank else "",
        figures=figures,
    )
    _regulatory_check(
        quote=quote, funds_origin=order.funds_origin, funds_destination=order.funds_destination
    )
    _notify_address_check(member_id=user.member_id, address=order.notify_email, now=now)
    if order.qr_token:
        qr_code_check(order=order)
    return _Checked(source=source, destination=destination, quote=quote)


def _regulatory_check(*, quote: Quote, funds_origin: str, funds_destination: str) -> None:
    """Over the 5-day threshold both declarations must be real words (invisible characters
    and punctuation are no declaration: ``progresonet.forms.declaration_is_words``)."""
    if quote.exceeds_threshold and not (
        declaration_is_words(funds_origin) and declaration_is_words(funds_destination)
    ):
        raise DeclarationsRequired(
            _(
                "Origin and destination of funds are required: your accumulated amount in the "
                "last 5 days exceeds %(threshold)s."
            )
            % {"threshold": format_money(REGULATORY_THRESHOLD_USD, "USD")},
            field="funds_origin",
        )


def _notify_address_check(*, member_id: int, address: str, now: datetime | None) -> None:
    """At most ``TRANSFER_NOTIFY_ADDRESSES_PER_DAY`` distinct notification addresses per
    member per calendar day (La Paz). An address already notified today is always allowed;
    a new one beyond the limit is refused (the member may leave the field empty), so no
    transfer goes with a silently dropped email. Checked under the member lock at execution."""
    if not address:
        return
    start = timezone.localtime(now or timezone.now()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    used = set(
        Transfer.objects.filter(member_id=member_id, created_at__gte=start)
        .exclude(notify_email="")
        .annotate(address=Lower("notify_email"))
        .values_list("address", flat=True)
        .distinct()
    )
    limit = settings.TRANSFER_NOTIFY_ADDRESSES_PER_DAY
    if address.lower() not in used and len(used) >= limit:
        raise TransferError(
            _(
                "You have already notified %(limit)s different email addresses today. Leave "
                "the email empty or use one of the addresses you notified today."
            )
            % {"limit": limit},
            field="notify_email",
        )


def _posting_lines(*, transfer: Transfer) -> list[ledger.Line]:
    source = transfer.source_account
    lines = [ledger.Line(source.pk, -transfer.debit_amount, transfer.description)]
    if transfer.destination_account_id is not None:
        credit_id = transfer.destination_account_id
    else:
        credit_id = internal_account_get(
            code=InternalAccount.CLEARING, currency=transfer.destination_currency
        ).pk
    lines.append(ledger.Line(credit_id, transfer.credit_amount, transfer.description))
    if source.currency != transfer.destination_currency:
        fx_source = internal_account_get(code=InternalAccount.FX_POSITION, currency=source.currency)
        fx_destination = internal_account_get(
            code=InternalAccount.FX_POSITION, currency=transfer.destination_currency
        )
        lines.append(ledger.Line(fx_source.pk, transfer.debit_amount))
        lines.append(ledger.Line(fx_destination.pk, -transfer.credit_amount))
    if transfer.fee_amount > 0:
        fee_income = internal_account_get(code=InternalAccount.FEE_INCOME, currency=source.currency)
        lines.append(ledger.Line(source.pk, -transfer.fee_amount, _("Transaction cost")))
        lines.append(ledger.Line(fee_income.pk, transfer.fee_amount))
    return lines


_POSTED_SQL = (
    "UPDATE {t} SET {t.posting} = %s, {t.posted_at} = %s, {t.status} = %s WHERE {t.id} = %s"
)


def _post(*, transfer: Transfer, actor) -> None:
    posting = ledger.posting_create(
        kind=Posting.Kind.TRANSFER,
        description=transfer.description,
        lines=_posting_lines(transfer=transfer),
        actor=actor,
        idempotency_key=f"transfer:{transfer.pk}",
    )
    transfer.posting = posting
    transfer.posted_at = posting.booked_at
    transition = (
        TransferStatus.SENT
        if transfer.transfer_type == TransferType.OTHER_BANK
        else TransferStatus.POSTED
    )
    if transfer.status == TransferStatus.PENDING_COSIGN:
        transfer_transition(transfer=transfer, to=transition)
    else:
        transfer.status = transition
    # What save(update_fields=...) would write, as one plain UPDATE: every posted transfer
    # runs it, and the ORM's save machinery cost more CPU than the statement.
    with connection.cursor() as cursor:
        cursor.execute(
            sql(_POSTED_SQL, t=Transfer),
            [transfer.posting_id, transfer.posted_at, transfer.status, transfer.pk],
        )
    if transfer.transfer_type == TransferType.OTHER_BANK:
        interbank_order_create(transfer=transfer)
    _notify(transfer=transfer)
    if transfer.transfer_type == TransferType.THIRD_PARTY:
        _notice_received(transfer=transfer)


def _notice_received(*, transfer: Transfer) -> None:
    """ "Money received" for the holders of the credited account: the sender's name masked,
    no text the sender wrote (the description stays on the sender's side)."""
    account = transfer.destination_account
    user_ids = User.objects.filter(
        member__holder_links__account=account, is_active=True
    ).values_list("pk", flat=True)
    for user_id in user_ids:
        notice_create(
            user_id=user_id,
            kind=NoticeKind.MONEY_RECEIVED,
            context={
                "sender": mask_name(transfer.member.display_name),
                "amount": format_money(transfer.credit_amount, transfer.destination_currency),
                "account": account.number,
            },
            link="/cuentas/",
        )


def _notify(*, transfer: Transfer) -> None:
    """The member's receipt, and the beneficiary's notice at the address the member typed.

    The notice goes to an address of the member's choosing, so it is a fixed text carrying
    nothing the member wrote (no description, no name typed in the wizard) that could hold a
    link: the sender's masked name, the amount, the date and how to verify the transfer with
    its code. At most ``TRANSFER_NOTIFY_ADDRESSES_PER_DAY`` addresses a day
    (:func:`_notify_address_check`)."""
    context = {"transfer": transfer}
    member_email = transfer.created_by.email or transfer.member.email
    if member_email:
        email_enqueue(
            to=member_email,
            subject=_("Transfer receipt %(code)s") % {"code": transfer.verification_code},
            template="transfers/email/transfer_done",
            context=context,
        )
    if transfer.notify_email:
        email_enqueue(
            to=transfer.notify_email,
            subject=_("You have been sent a transfer"),
            template="transfers/email/beneficiary_notice",
            context={
                "sender": mask_name(transfer.member.display_name),
                "amount": format_money(transfer.credit_amount, transfer.destination_currency),
                "date": timezone.localtime(transfer.posted_at or transfer.created_at),
                "code": transfer.verification_code,
            },
        )


def _register_destination(
    *, user, order: TransferOrder, idempotency_key: str, ip_address: str | None
) -> TransferOrder:
    """ "Registrar socio": register the typed account as a product; the order then names it."""
    from beneficiaries.services import _register_member  # the transfer's signature covers it

    if order.transfer_type != TransferType.THIRD_PARTY or order.beneficiary_id is not None:
        raise _invalid_destination()
    account = _third_party_account(
        member_id=user.member_id, account_id=order.destination_account_id
    )
    try:
        product = _register_member(
            owner=user.member,
            actor=user,
            number=account.number,
            alias=order.register_alias,
            idempotency_key=f"{idempotency_key}-register",
            ip_address=ip_address,
        )
    except ValidationError as exc:
        raise TransferError(" ".join(exc.messages), field="destination") from exc
    return replace(order, beneficiary_id=product.pk, destination_account_id=None, register_alias="")


def _replayed(*, user, idempotency_key: str) -> Transfer | None:
    """The transfer a repeated ``idempotency_key`` already made (a double click, a replayed
    signed step), or None; another user's key is refused."""
    # Almost always none: one plain statement for the check (every signed transfer runs it),
    # the whole row read only for a replay.
    with connection.cursor() as cursor:
        cursor.execute(sql(_REPLAYED_SQL, t=Transfer), [idempotency_key])
        row = cursor.fetchone()
    if row is None:
        return None
    if row[1] != user.pk:
        raise TransferError()
    return Transfer.objects.get(pk=row[0])


_REPLAYED_SQL = (
    "SELECT {t.id}, {t.created_by} FROM {t} WHERE {t.idempotency_key} = %s ORDER BY {t.id} LIMIT 1"
)
_MEMBER_LOCK_SQL = "SELECT {m.columns} FROM {m} WHERE {m.pk} = %s FOR UPDATE"


def _member_lock(*, member_id: int) -> Member | None:
    """Serialise this member's transfers (see transfer_execute): the member row locked by one
    plain statement (the signing step runs it every time; the ORM's query building cost more
    CPU than the lock). The row is returned: the transfer's emails and notices read the
    member's address and name from it instead of reading the row again."""
    found = names(Member).columns.read(sql(_MEMBER_LOCK_SQL, m=Member), [member_id])
    return found[0] if found else None


def _transfer_row(
    *,
    user,
    executed: TransferOrder,
    checked,
    joint: bool,
    idempotency_key: str,
    expected_fingerprint: str,
    ip_address: str | None,
    event: str = TransferEvent.CREATED,
    qr_code=None,
    member: Member | None = None,
) -> Transfer:
    """Write the transfer row exactly as priced under the member lock, and its audit row."""
    quote, source, destination = checked.quote, checked.source, checked.destination
    transfer = Transfer(
        transfer_type=executed.transfer_type,
        status=TransferStatus.PENDING_COSIGN if joint else TransferStatus.POSTED,
        created_by=user,
        member_id=user.member_id,
        source_account=source,
        destination_account=destination.account,
        beneficiary=destination.product,
        destination_bank=destination.bank,
        destination_number=destination.number if destination.bank else "",
        destination_name=destination.name,
        destination_currency=quote.destination_currency,
        currency=quote.currency,
        amount=quote.amount,
        debit_amount=quote.debit_amount,
        credit_amount=quote.credit_amount,
        fee_amount=quote.fee_amount,
        exchange_rate=quote.exchange_rate,
        description=text_clean(executed.description),
        notify_email=executed.notify_email,
        funds_origin=text_clean(executed.funds_origin),
        funds_destination=text_clean(executed.funds_destination),
        usd_equivalent=quote.usd_equivalent,
        bob_equivalent=quote.bob_equivalent,
        rolling_usd_total=quote.rolling_usd_total,
        exceeds_threshold=quote.exceeds_threshold,
        idempotency_key=idempotency_key,
        signed_fingerprint=expected_fingerprint,
        verification_code=secrets.token_hex(6).upper(),
        qr_code=qr_code,
    )
    if member is not None:
        # The row the caller locked: _notify reads the member's address from it.
        transfer.member = member
    audit_sql, audit_params = audit_insert_sql(
        actor=user,
        event=event,
        subject=Transfer._meta.label_lower,
        subject_id_from="t",
        new={
            "type": transfer.transfer_type,
            "amount": str(transfer.amount),
            "currency": transfer.currency,
            "source": source.number,
        },
        ip_address=ip_address,
    )
    # The transfer row and its audit row in ONE statement (a data-modifying WITH; the audit
    # row's subject takes the new id inside it): every transfer pays for these two writes,
    # and two ORM creates cost more CPU than the rows. The values are the ones ``create``
    # would write (defaults and ``created_at`` included).
    columns = insert_columns(Transfer)
    transfer_sql = sql(_TRANSFER_INSERT_SQL, t=Transfer, c=columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH t AS ({transfer_sql}), a AS ({audit_sql}) SELECT id FROM t",  # noqa: S608  # nosec B608 - texts of progresonet.sql
            columns.params(transfer) + audit_params,
        )
        transfer.pk = cursor.fetchone()[0]
    transfer._state.adding = False
    transfer._state.db = connection.alias
    return transfer


_TRANSFER_INSERT_SQL = "INSERT INTO {t} ({c}) VALUES ({c.values}) RETURNING {t.pk} AS id"


def _cosignatures_open(*, transfer: Transfer, source: Account, user) -> None:
    """A joint account's transfer: one pending co-signature per other holder (the initiator's
    own is recorded as signed), and the co-holders are notified."""
    others = source.holder_links.exclude(member_id=user.member_id)
    CoSignature.objects.bulk_create(
        [CoSignature(transfer=transfer, member_id=h.member_id) for h in others]
        + [
            CoSignature(
                transfer=transfer,
                member_id=user.member_id,
                decision=CoSignature.Decision.SIGNED,
                decided_at=timezone.now(),
            )
        ]
    )
    _notify_cosigners(transfer=transfer, member_ids=[h.member_id for h in others])


def _transfer_record(
    *,
    user,
    order: TransferOrder,
    checked: "_Checked",
    idempotency_key: str,
    signed_fingerprint: str,
    ip_address: str | None = None,
    event: str = TransferEvent.CREATED,
    qr_code=None,
    member: Member | None = None,
) -> Transfer:
    """Write the transfer priced in ``checked`` and post it (or open the co-signatures of a
    joint account). The inner part of :func:`transfer_execute`, shared with the scheduled
    orders' runner (``transfers.scheduled``): the caller holds the member lock, has checked
    its authority (a consumed receipt, or the order's stored signature) and priced the order
    under that lock with :func:`_checked`. ``member``: the member row the caller locked, if it
    has it (the emails read it)."""
    source = checked.source
    joint = source.holder_mode == Account.HolderMode.CONJUNTA
    transfer = _transfer_row(
        user=user,
        executed=order,
        checked=checked,
        joint=joint,
        idempotency_key=idempotency_key,
        expected_fingerprint=signed_fingerprint,
        ip_address=ip_address,
        event=event,
        qr_code=qr_code,
        member=member,
    )
    if joint:
        # Nothing moves yet: the co-holders sign first (transfer_cosign posts it).
        _cosignatures_open(transfer=transfer, source=source, user=user)
        return transfer
    _post(transfer=transfer, actor=user)
    return transfer


def transfer_execute(
    *,
    user,
    order: TransferOrder,
    expected_fingerprint: str,
    idempotency_key: str,
    signature: SignatureReceipt,
    ip_address: str | None = None,
) -> Transfer:
    """Execute a signed transfer exactly once per ``idempotency_key``.

    ``signature`` is the member's receipt for :data:`TransferPurpose.EXECUTE` over
    :func:`transfer_signing_fingerprint`; the quote that posts must equal
    ``expected_fingerprint``, so the money moves exactly as signed. A replay of the same key
    (with a new signature) returns the first transfer (its receipt), whatever happened in
    between. A change in anything the member signed raises :class:`StaleQuote`.
    """

    def work() -> Transfer:
        signature_consume(
            signature=signature,
            user=user,
            purpose=TransferPurpose.EXECUTE,
            fingerprint=transfer_signing_fingerprint(
                order=order, expected_fingerprint=expected_fingerprint
            ),
        )
        # Serialise this member's transfers: limits and the regulatory total read below stay
        # true until commit, and duplicate submits queue here and then find the first one.
        member = _member_lock(member_id=user.member_id)
        existing = _replayed(user=user, idempotency_key=idempotency_key)
        if existing is not None:
            return existing
        executed = order
        if order.register_alias.strip():
            executed = _register_destination(
                user=user, order=order, idempotency_key=idempotency_key, ip_address=ip_address
            )
        # Priced again under the member lock: this is the quote that posts.
        checked = _checked(user=user, order=executed)
        if checked.quote.fingerprint() != expected_fingerprint:
            raise StaleQuote()
        # Locked and (single use) consumed here, in the posting's transaction: paying one
        # code twice (two tabs, two members) posts once; the loser rolls back entirely.
        qr_code = qr_code_claim(order=executed) if executed.qr_token else None
        # The payee hears of it through _post's money-received notice (notices/).
        return _transfer_record(
            user=user,
            order=executed,
            checked=checked,
            idempotency_key=idempotency_key,
            signed_fingerprint=expected_fingerprint,
            ip_address=ip_address,
            qr_code=qr_code,
            member=member,
        )

    try:
        return atomic_with_retries(work)
    except SignatureRefused as exc:
        raise TransferError(exc.message) from exc
    except LedgerError as exc:
        raise TransferError(exc.message) from exc


def _destination_still_valid(*, transfer: Transfer) -> None:
    """Before a joint-account transfer finally posts (maybe days after it was signed), the
    registered product must still be live and a cooperative destination account still open."""
    product = transfer.beneficiary
    if product is not None and product.deleted_at is not None:
        raise TransferError(
            _("The registered product is no longer available. Choose another destination.")
        )
    account = transfer.destination_account
    if account is not None and account.status != Account.Status.OPEN:
        raise _invalid_destination()
    if transfer.qr_code_id is not None:
        # A QR payment: the payee may have revoked the code while it waited (qr_code_revoke).
        # Locked, so a revoke racing this signature is decided by the row (code after transfer,
        # the order every path takes).
        status = (
            QrCode.objects.select_for_update()
            .filter(pk=transfer.qr_code_id)
            .values_list("status", flat=True)
            .first()
        )
        if status == QrCodeStatus.REVOKED:
            raise TransferError(_("This QR code was revoked by its owner."))


def _notify_cosigners(*, transfer: Transfer, member_ids: list[int]) -> None:
    """Tell each co-holder, in the transaction that creates the transfer, that a signature is
    waiting; the email names no payee and carries no member text (see _notify)."""
    hours = int(cosign_ttl().total_seconds() // 3600)
    for member in Member.objects.filter(pk__in=member_ids).select_related("user"):
        user = getattr(member, "user", None)
        if user is not None:
            # The email below is this notice's channel already.
            notice_create(
                user_id=user.pk,
                kind=NoticeKind.COSIGN_WAITING,
                context={
                    "amount": format_money(transfer.total_debit, transfer.source_account.currency),
                    "account": transfer.source_account.number,
                },
                link=f"/transferencias/firma-conjunta/{transfer.pk}/",
                channels=False,
            )
        address = (user.email if user is not None else "") or member.email
        if address:
            email_enqueue(
                to=address,
                subject=_("A joint-account transfer is waiting for your signature"),
                template="transfers/email/cosign_waiting",
                context={"transfer": transfer, "ttl_hours": hours},
            )


def _limits_still_hold(*, transfer: Transfer) -> None:
    """At the last co-signature, before the money moves (up to the co-signature window after
    the initiator signed): the initiator's daily limit, the new-beneficiary cap, the balance
    and the regulatory rule are checked again, with the same checks as a new transfer
    (``quote_build``). The transfer's own pending row already counts in the member's totals,
    so it is left out of them and its amount is added once by the check. A refusal leaves
    the transfer pending (as a balance failure does); the co-holder may sign again later."""
    Member.objects.select_for_update().filter(pk=transfer.member_id).exists()
    # The cap's destination as transfer_prepare passes it (transfers.quotes): a member's
    # account for third parties, bank + number for other banks, none for own accounts.
    third_party = transfer.transfer_type == TransferType.THIRD_PARTY
    other_bank = transfer.transfer_type == TransferType.OTHER_BANK
    try:
        quote = quote_build(
            member_id=transfer.member_id,
            transfer_type=transfer.transfer_type,
            source=transfer.source_account,
            destination_key="",
            destination_currency=transfer.destination_currency,
            currency=transfer.currency,
            amount=transfer.amount,
            beneficiary=transfer.beneficiary,
            destination_account_id=transfer.destination_account_id if third_party else None,
            destination_bank_id=transfer.destination_bank_id if other_bank else None,
            destination_number=transfer.destination_number if other_bank else "",
            exclude_transfer_id=transfer.pk,
        )
        _regulatory_check(
            quote=quote,
            funds_origin=transfer.funds_origin,
            funds_destination=transfer.funds_destination,
        )
    except TransferError as exc:
        raise TransferError(
            _("The transfer cannot be posted now and stays pending: %(reason)s")
            % {"reason": exc.message}
        ) from exc


def transfer_cosign(
    *,
    user,
    transfer_id: int,
    approve: bool,
    signature: SignatureReceipt,
    ip_address: str | None = None,
):
    """A co-holder signs or declines a joint-account transfer; it posts when all have signed.

    The last signature re-checks the limits, the new-beneficiary cap and the regulatory rule
    (:func:`_limits_still_hold`) before posting; a refusal leaves everything pending.
    ``signature`` is the co-holder's receipt for :data:`TransferPurpose.COSIGN` over
    :func:`transfer_cosign_fingerprint`."""
    receipt = signature  # work() below has its own ``signature`` (the co-signature row)

    def work() -> Transfer | None:
        transfer = (
            Transfer.objects.select_for_update()
            .select_related("source_account", "created_by", "member")
            .filter(pk=transfer_id, cosignatures__member_id=user.member_id)
            .first()
        )
        if transfer is None:
            raise TransferError(_("Transfer not found."))
        # Consumed before anything is written; the fingerprint binds what the initiator signed.
        signature_consume(
            signature=receipt,
            user=user,
            purpose=TransferPurpose.COSIGN,
            fingerprint=transfer_cosign_fingerprint(transfer=transfer, approve=approve),
        )
        if transfer.status != TransferStatus.PENDING_COSIGN:
            raise TransferError(_("This transfer is no longer waiting for signatures."))
        if timezone.now() - transfer.created_at > cosign_ttl():
            # Expired: written and committed, then refused below. Raising here would roll the
            # expiry (and the QR code's release) back and leave the transfer pending until the
            # expiry job runs.
            transfer_transition(transfer=transfer, to=TransferStatus.EXPIRED)
            transfer.save(update_fields=["status"])
            qr_code_release(transfer=transfer, actor=user, reason=TransferStatus.EXPIRED)
            return None
        signature = transfer.cosignatures.get(member_id=user.member_id)
        if signature.decision != CoSignature.Decision.PENDING:
            raise TransferError(_("You have already decided on this transfer."))
        signature.decision = (
            CoSignature.Decision.SIGNED if approve else CoSignature.Decision.DECLINED
        )
        signature.decided_at = timezone.now()
        signature.save(update_fields=["decision", "decided_at"])
        audit_record(
            actor=user,
            event=TransferEvent.COSIGNED if approve else TransferEvent.DECLINED,
            subject=transfer,
            ip_address=ip_address,
        )
        if not approve:
            transfer_transition(transfer=transfer, to=TransferStatus.DECLINED)
            transfer.save(update_fields=["status"])
            # No money moved: a single-use QR code this paid is payable again (same transaction).
            qr_code_release(transfer=transfer, actor=user, reason=TransferStatus.DECLINED)
            _notice_cosign_outcome(transfer=transfer, outcome=_("declined by a co-holder"))
        elif not transfer.cosignatures.exclude(decision=CoSignature.Decision.SIGNED).exists():
            _destination_still_valid(transfer=transfer)
            _limits_still_hold(transfer=transfer)
            _post(transfer=transfer, actor=user)
            _notice_cosign_outcome(transfer=transfer, outcome=_("signed by all and made"))
        return transfer

    try:
        transfer = atomic_with_retries(work)
    except SignatureRefused as exc:
        raise TransferError(exc.message) from exc
    except LedgerError as exc:
        raise TransferError(exc.message) from exc
    if transfer is None:
        raise TransferError(_("This transfer expired before all holders signed it."))
    return transfer


def _notice_cosign_outcome(*, transfer: Transfer, outcome: str) -> None:
    notice_create(
        user_id=transfer.created_by_id,
        kind=NoticeKind.COSIGN_OUTCOME,
        context={
            "amount": format_money(transfer.total_debit, transfer.source_account.currency),
            "account": transfer.source_account.number,
            "outcome": outcome,
        },
        link=f"/transferencias/comprobante/{transfer.pk}/",
    )


def cosign_ttl() -> timedelta:
    return timedelta(hours=settings.TRANSFER_COSIGN_TTL_HOURS)


@transaction.atomic
def transfers_expire_pending(*, now: datetime | None = None) -> int:
    """Expire joint-account transfers whose co-signature window has passed, and give back the
    single-use QR codes they held.

    The rows are locked first (in id order) and only those still pending once locked are
    expired: a co-holder's decision committed meanwhile wins, and its QR release is the only
    one (PostgreSQL re-checks the filter on the row it waited for)."""
    cutoff = (now or timezone.now()) - cosign_ttl()
    expiring = list(
        Transfer.objects.select_for_update()
        .filter(status=TransferStatus.PENDING_COSIGN, created_at__lt=cutoff)
        .order_by("pk")
        .only("pk", "qr_code_id")
    )
    if not expiring:
        return 0
    Transfer.objects.filter(pk__in=[t.pk for t in expiring]).update(status=TransferStatus.EXPIRED)
    for transfer in expiring:
        if transfer.qr_code_id is not None:
            qr_code_release(transfer=transfer, reason=TransferStatus.EXPIRED)
    return len(expiring)
