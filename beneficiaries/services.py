"""Registering, changing and deleting third-party products.

Each service re-validates everything (the forms already did, but a service never trusts its
caller), then writes the row, its audit row and the member's notification email (through the
outbox) in one transaction: either all three exist or none does.

Who can receive the member's money is the member's signed decision: every service here that
registers, changes or deletes a product takes ``signature``, a receipt (see
:mod:`accounts.signing`) for its purpose over its own fingerprint of the change
(``beneficiary_*_fingerprint``), consumed in its transaction. The transfer wizard's
"Registrar socio" goes through :func:`transfers.services.transfer_execute` instead, whose
signature covers the registration (it calls :func:`_register_member`).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from accounts.selectors import signing_restriction_error
from accounts.signing import SignatureReceipt, SignatureRefused, fingerprint_of, signature_consume
from audit.services import audit_record
from outbox.services import email_enqueue

from . import rules
from .events import BeneficiaryEvent, BeneficiaryPurpose
from .models import Bank, LookupCounter, ThirdPartyProduct
from .selectors import (
    LookupResult,
    LookupStatus,
    account_holder_masked_name,
    eligible_account_get,
    own_account_message,
)

EMAIL_TEMPLATE = "beneficiaries/email/product_changed"


# The keyword arguments each registration path takes besides the owner (and, to register, the
# actor, signature, key and IP): what the wizard keeps for its signing step.
MEMBER_FIELDS = ("number", "alias", "email")
OTHER_BANK_FIELDS = (
    "bank_id",
    "product_type",
    "currency",
    "number",
    "holder_name",
    "document_type",
    "document_number",
    "alias",
    "email",
)


def beneficiary_register_member_fingerprint(
    *, owner: Member, number: str, alias: str, email: str = ""
) -> str:
    return fingerprint_of(BeneficiaryPurpose.REGISTER, owner.pk, "member", number, alias, email)


def beneficiary_register_other_bank_fingerprint(*, owner: Member, **fields: Any) -> str:
    """Over every field of :func:`beneficiary_register_other_bank` (bank, product type,
    currency, number, holder, document, alias, email)."""
    return fingerprint_of(
        BeneficiaryPurpose.REGISTER,
        owner.pk,
        "other_bank",
        *(fields.get(name, "") for name in OTHER_BANK_FIELDS),
    )


def beneficiary_update_fingerprint(*, product_id: int, alias: str, email: str = "") -> str:
    return fingerprint_of(BeneficiaryPurpose.UPDATE, product_id, alias, email)


def beneficiary_delete_fingerprint(*, product_id: int) -> str:
    return fingerprint_of(BeneficiaryPurpose.DELETE, product_id)


def _consume(
    *, signature: SignatureReceipt | None, actor: Any, owner_id: int, purpose: str, fingerprint: str
) -> None:
    """The member's own receipt, used once, or ValidationError (inside the caller's
    transaction, so a refusal of anything later rolls the use back)."""
    try:
        if actor is None or getattr(actor, "member_id", None) != owner_id:
            raise SignatureRefused(
                _("The signature does not match this operation. Please sign again."),
                "signature_mismatch",
            )
        signature_consume(signature=signature, user=actor, purpose=purpose, fingerprint=fingerprint)
    except SignatureRefused as exc:
        raise ValidationError(exc.message) from exc


def _duplicate_message() -> str:
    return _("You have already registered this product.")


def _alias_taken_message() -> str:
    return _("You already use this alias for another product.")


def _snapshot(product: ThirdPartyProduct) -> dict[str, Any]:
    """What the audit trail keeps about a product: never the full number of a member account."""
    return {
        "kind": product.kind,
        "alias": product.alias,
        "email": product.email,
        "number": product.masked_number,
        "bank": product.bank.code if product.bank_id else "",
        "currency": product.currency,
    }


def _recorded(
    *,
    event: BeneficiaryEvent,
    product: ThirdPartyProduct,
    actor: Any,
    ip_address: str | None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    """A change to ``product``: its audit row and the member's email about it, in the caller's
    transaction (both or neither)."""
    audit_record(actor=actor, event=event, subject=product, old=old, new=new, ip_address=ip_address)
    owner = product.owner
    if not owner.email:
        return  # nowhere to write; the audit row still records the change
    action, subject = {
        BeneficiaryEvent.REGISTERED: (
            "registered",
            _("ProgresoNet: third-party product registered"),
        ),
        BeneficiaryEvent.UPDATED: ("updated", _("ProgresoNet: third-party product changed")),
        BeneficiaryEvent.DELETED: ("deleted", _("ProgresoNet: third-party product deleted")),
    }[event]
    email_enqueue(
        to=owner.email,
        subject=subject,
        template=EMAIL_TEMPLATE,
        context={"member": owner, "product": product, "action": action},
    )


def _email_clean(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": _("Enter a valid email address.")}) from exc
    return email


def _alias_in_use(*, owner: Member, alias: str, exclude_pk: int | None = None) -> bool:
    qs = ThirdPartyProduct.objects.filter(owner=owner, deleted_at__isnull=True, alias__iexact=alias)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _replayed(*, owner: Member, idempotency_key: str | None) -> ThirdPartyProduct | None:
    """The product an earlier submit with the same key created, if any."""
    if not idempotency_key:
        return None
    product = ThirdPartyProduct.objects.filter(idempotency_key=idempotency_key).first()
    if product is not None and product.owner_id != owner.pk:
        # Keys are random server-made values; a clash with another member is a forged post.
        raise ValidationError(_("This request is no longer valid. Please start again."))
    return product


def _create(
    *, owner: Member, actor: Any, ip_address: str | None, fields: dict[str, Any]
) -> ThirdPartyProduct:
    idempotency_key = fields.get("idempotency_key")
    try:
        with transaction.atomic():
            product = ThirdPartyProduct.objects.create(owner=owner, **fields)
            _recorded(
                event=BeneficiaryEvent.REGISTERED,
                product=product,
                actor=actor,
                ip_address=ip_address,
                new=_snapshot(product),
            )
    except IntegrityError as exc:
        # A concurrent submit won the race: the same key means the same request, so answer
        # with its product; otherwise tell which rule the database enforced.
        replay = _replayed(owner=owner, idempotency_key=idempotency_key)
        if replay is not None:
            return replay
        if "tpp_owner_alias_ci_unique" in str(exc):
            raise ValidationError({"alias": _alias_taken_message()}) from exc
        raise ValidationError(_duplicate_message()) from exc
    return product


def beneficiary_member_check(
    *, owner: Member, number: str, alias: str, email: str = ""
) -> dict[str, Any]:
    """Every rule for registering another member's account; the fields to store, or
    ValidationError. The wizard calls it before the signing step, the service again after."""
    number = rules.member_account_number_clean(number)
    alias = rules.alias_clean(alias)
    email = _email_clean(email)
    account = eligible_account_get(number=number)
    if account is None:
        # Same words as the lookup's miss: closed, unknown and internal look alike.
        raise ValidationError(
            {"number": _("No savings account with that number can receive transfers.")}
        )
    if any(link.member_id == owner.pk for link in account.holder_links.all()):
        raise ValidationError({"number": own_account_message()})
    if ThirdPartyProduct.objects.filter(
        owner=owner, account=account, deleted_at__isnull=True
    ).exists():
        raise ValidationError({"number": _duplicate_message()})
    if _alias_in_use(owner=owner, alias=alias):
        raise ValidationError({"alias": _alias_taken_message()})
    return {
        "kind": ThirdPartyProduct.Kind.MEMBER,
        "account": account,
        "product_type": ThirdPartyProduct.ProductType.SAVINGS,
        "currency": account.currency,
        "number": account.number,
        "holder_name": account_holder_masked_name(account),
        "alias": alias,
        "email": email,
    }


def _register_once(
    *,
    owner: Member,
    actor: Any,
    idempotency_key: str | None,
    ip_address: str | None,
    check: Callable[[], dict[str, Any]],
) -> ThirdPartyProduct:
    """Run ``check`` (every rule; the fields to store) and create the product, once per
    ``idempotency_key``: a repeated submit returns the first one's product."""
    replay = _replayed(owner=owner, idempotency_key=idempotency_key)
    if replay is not None:
        return replay
    if msg := signing_restriction_error(user=getattr(owner, "user", None)):  # accounts.selectors
        raise ValidationError(msg)
    try:
        fields = check()
    except ValidationError:
        # A concurrent submit of the same request may have committed since the check above.
        if replay := _replayed(owner=owner, idempotency_key=idempotency_key):
            return replay
        raise
    return _create(
        owner=owner,
        actor=actor,
        ip_address=ip_address,
        fields={**fields, "idempotency_key": idempotency_key},
    )


def _signed_register(
    *,
    owner: Member,
    actor: Any,
    signature: SignatureReceipt | None,
    fingerprint: str,
    idempotency_key: str | None,
    ip_address: str | None,
    check: Callable[[], dict[str, Any]],
) -> ThirdPartyProduct:
    """:func:`_register_once` under the member's registration receipt over ``fingerprint``,
    used in the same transaction (so a refusal there rolls the use back)."""
    with transaction.atomic():
        _consume(
            signature=signature,
            actor=actor,
            owner_id=owner.pk,
            purpose=BeneficiaryPurpose.REGISTER,
            fingerprint=fingerprint,
        )
        return _register_once(
            owner=owner,
            actor=actor,
            idempotency_key=idempotency_key,
            ip_address=ip_address,
            check=check,
        )


def beneficiary_register_member(
    *,
    owner: Member,
    actor: Any,
    number: str,
    alias: str,
    signature: SignatureReceipt,
    email: str = "",
    idempotency_key: str | None = None,
    ip_address: str | None = None,
) -> ThirdPartyProduct:
    """Register another member's savings account ("a cuenta de terceros").

    A submit repeated with the same ``idempotency_key`` (and a new signature) returns the
    first one's product.
    """
    fields = {"number": number, "alias": alias, "email": email}
    return _signed_register(
        owner=owner,
        actor=actor,
        signature=signature,
        fingerprint=beneficiary_register_member_fingerprint(owner=owner, **fields),
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        check=lambda: beneficiary_member_check(owner=owner, **fields),
    )


def _register_member(
    *,
    owner: Member,
    actor: Any,
    number: str,
    alias: str,
    email: str = "",
    idempotency_key: str | None = None,
    ip_address: str | None = None,
) -> ThirdPartyProduct:
    """The registration itself, for a caller that consumed a signature covering it."""
    return _register_once(
        owner=owner,
        actor=actor,
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        check=lambda: beneficiary_member_check(
            owner=owner, number=number, alias=alias, email=email
        ),
    )


def beneficiary_other_bank_check(
    *,
    owner: Member,
    bank_id: int | None,
    product_type: str,
    currency: str,
    number: str,
    holder_name: str,
    document_type: str,
    document_number: str,
    alias: str,
    email: str = "",
) -> dict[str, Any]:
    """Every rule for registering an account at another bank; the fields to store, or
    ValidationError naming each bad field."""
    errors: dict[str, Any] = {}
    bank = Bank.objects.filter(pk=bank_id, is_active=True).first() if bank_id else None
    if bank is None:
        errors["bank"] = _("Choose a bank from the list.")
    if product_type not in ThirdPartyProduct.ProductType.values:
        errors["product_type"] = _("Choose the product type.")
    if currency not in ("BOB", "USD"):
        errors["currency"] = _("Choose the currency.")
    if document_type not in ThirdPartyProduct.DocumentType.values:
        errors["document_type"] = _("Choose the document type.")
    cleaned: dict[str, str] = {}
    for field, clean in (
        ("number", lambda: rules.other_bank_number_clean(number, bank.code if bank else None)),
        ("holder_name", lambda: rules.holder_name_clean(holder_name)),
        ("document_number", lambda: rules.document_clean(document_type, document_number)),
        ("alias", lambda: rules.alias_clean(alias)),
        ("email", lambda: _email_clean(email)),
    ):
        try:
            cleaned[field] = clean()
        except ValidationError as exc:
            errors.setdefault(field, exc.messages)
    if errors:
        raise ValidationError(errors)
    if ThirdPartyProduct.objects.filter(
        owner=owner,
        kind=ThirdPartyProduct.Kind.OTHER_BANK,
        bank=bank,
        number=cleaned["number"],
        deleted_at__isnull=True,
    ).exists():
        raise ValidationError({"number": _duplicate_message()})
    if _alias_in_use(owner=owner, alias=cleaned["alias"]):
        raise ValidationError({"alias": _alias_taken_message()})
    return {
        "kind": ThirdPartyProduct.Kind.OTHER_BANK,
        "bank": bank,
        "product_type": product_type,
        "currency": currency,
        "document_type": document_type,
        **cleaned,
    }


def beneficiary_register_other_bank(
    *,
    owner: Member,
    actor: Any,
    signature: SignatureReceipt,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    **fields: Any,
) -> ThirdPartyProduct:
    """Register an account at another Bolivian bank ("a otros bancos"): ``fields`` are the
    keyword arguments of :func:`beneficiary_other_bank_check`, which names and checks them.

    A submit repeated with the same ``idempotency_key`` (and a new signature) returns the
    first one's product.
    """
    return _signed_register(
        owner=owner,
        actor=actor,
        signature=signature,
        fingerprint=beneficiary_register_other_bank_fingerprint(owner=owner, **fields),
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        check=lambda: beneficiary_other_bank_check(owner=owner, **fields),
    )


def beneficiary_update(
    *,
    product: ThirdPartyProduct,
    actor: Any,
    alias: str,
    signature: SignatureReceipt,
    email: str = "",
    ip_address: str | None = None,
) -> ThirdPartyProduct:
    """Change a product's alias and beneficiary email (nothing else is editable: a different
    number or bank is a different product, registered afresh)."""
    if msg := signing_restriction_error(user=getattr(product.owner, "user", None)):
        raise ValidationError(msg)  # after a PIN reset or device change (accounts.selectors)
    fingerprint = beneficiary_update_fingerprint(product_id=product.pk, alias=alias, email=email)
    alias = rules.alias_clean(alias)
    email = _email_clean(email)
    if _alias_in_use(owner=product.owner, alias=alias, exclude_pk=product.pk):
        raise ValidationError({"alias": _alias_taken_message()})
    old = {"alias": product.alias, "email": product.email}
    new = {"alias": alias, "email": email}
    try:
        with transaction.atomic():
            _consume(
                signature=signature,
                actor=actor,
                owner_id=product.owner_id,
                purpose=BeneficiaryPurpose.UPDATE,
                fingerprint=fingerprint,
            )
            if old == new:
                return product
            ThirdPartyProduct.objects.filter(pk=product.pk).update(
                alias=alias, email=email, updated_at=timezone.now()
            )
            product.alias, product.email = alias, email
            _recorded(
                event=BeneficiaryEvent.UPDATED,
                product=product,
                actor=actor,
                ip_address=ip_address,
                old=old,
                new=new,
            )
    except IntegrityError as exc:
        raise ValidationError({"alias": _alias_taken_message()}) from exc
    return product


def beneficiary_delete(
    *,
    product: ThirdPartyProduct,
    actor: Any,
    signature: SignatureReceipt,
    ip_address: str | None = None,
) -> None:
    """Soft-delete: the row stays for the history of transfers that named it."""
    with transaction.atomic():
        _consume(
            signature=signature,
            actor=actor,
            owner_id=product.owner_id,
            purpose=BeneficiaryPurpose.DELETE,
            fingerprint=beneficiary_delete_fingerprint(product_id=product.pk),
        )
        deleted = ThirdPartyProduct.objects.filter(pk=product.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        if not deleted:
            return  # already deleted by an earlier (double) submit: nothing more to record
        _recorded(
            event=BeneficiaryEvent.DELETED,
            product=product,
            actor=actor,
            ip_address=ip_address,
            old=_snapshot(product),
        )


# -- "Buscar": the rate-limited, audited account lookup (it writes: its counter and audit row)
# An exact sliding window in PostgreSQL, not the cache rate limiter (audit.ratelimit says why).

LOOKUP_LIMIT = 10  # per member and per IP, per minute
LOOKUP_WINDOW = timedelta(minutes=1)


def _counter_hit(key: str, now: datetime) -> int:
    """Record one lookup for ``key`` at ``now``; return the lookups in the minute up to ``now``.

    A sliding window: the limit holds over any 60 seconds, so a burst across the turn of a
    clock minute cannot reach twice the limit, as it could with fixed windows.
    """
    table = LookupCounter._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Concurrent lookups of one key take turns until commit, so each one's sum sees
            # the others and the limit is exact.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
        # Two hits in the same microsecond share a row (its count).
        cursor.execute(
            f"INSERT INTO {table} (key, seen_at, count) VALUES (%s, %s, 1) "  # noqa: S608  # nosec B608  # model table name; values bound
            f"ON CONFLICT (key, seen_at) DO UPDATE SET count = {table}.count + 1",
            [key, now],
        )
    since = now - LOOKUP_WINDOW
    # Hits older than the window can never count again.
    LookupCounter.objects.filter(key=key, seen_at__lte=since).delete()
    total = LookupCounter.objects.filter(key=key, seen_at__gt=since).aggregate(total=Sum("count"))[
        "total"
    ]
    return total or 0


def lookup_allowed(*, member_id: int, ip_address: str | None, now: datetime) -> bool:
    """Count one lookup for the member and for the IP; False once either passed the limit
    within the last minute."""
    keys = [f"member:{member_id}"] + ([f"ip:{ip_address}"] if ip_address else [])
    # Count every key even when the first is already over: both limits must see each attempt.
    counts = [_counter_hit(key, now) for key in keys]
    return max(counts) <= LOOKUP_LIMIT


def account_lookup(
    *,
    number: str,
    member: Member,
    actor: Any,
    ip_address: str | None,
    now: datetime | None = None,
) -> LookupResult:
    """ "Buscar": the masked holder name of a cooperative savings account.

    Rate-limited to ``LOOKUP_LIMIT`` per minute per member and per IP, and audited. A miss,
    a closed or blocked account, an internal account and a checking account all give the same
    ``NOT_FOUND`` result, so the answer never tells which numbers exist.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not lookup_allowed(member_id=member.pk, ip_address=ip_address, now=now):
            result = LookupResult(LookupStatus.REFUSED)
        else:
            account = eligible_account_get(number=number)
            if account is None:
                result = LookupResult(LookupStatus.NOT_FOUND)
            elif any(link.member_id == member.pk for link in account.holder_links.all()):
                result = LookupResult(LookupStatus.OWN)
            else:
                result = LookupResult(
                    LookupStatus.FOUND,
                    masked_name=account_holder_masked_name(account),
                    currency=account.currency,
                )
        audit_record(
            actor=actor,
            event=BeneficiaryEvent.LOOKUP,
            subject=f"ledger.account.number:{number}",
            new={"result": result.status.value},
            ip_address=ip_address,
        )
    return result
