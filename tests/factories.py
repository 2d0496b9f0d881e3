"""Test data builders. Balances always come from real postings through ledger.services."""

import itertools
from decimal import Decimal

from accounts.models import Member, User
from ledger import services
from ledger.models import Account, Holder

_seq = itertools.count(1)


def make_member(**overrides) -> Member:
    n = next(_seq)
    fields = {
        "kind": Member.Kind.PERSON,
        "document_type": Member.DocumentType.CI,
        "document_number": f"{4000000 + n}",
        "document_issued_in": "LP",
        "first_names": f"Socio{n}",
        "last_names": "Prueba",
        "email": f"socio{n}@example.com",
    }
    fields.update(overrides)
    return Member.objects.create(**fields)


def make_user(
    *, member: Member | None = None, username: str | None = None, password="Clave1234", **extra
) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(username=username, password=password, member=member, **extra)


def make_account(
    *,
    member: Member | None = None,
    currency: str = "BOB",
    product_type: str = Account.ProductType.SAVINGS,
    holder_mode: str = Account.HolderMode.INDIVIDUAL,
    balance: Decimal | str | int = 0,
    co_holders: tuple[Member, ...] = (),
) -> Account:
    n = next(_seq)
    account = Account.objects.create(
        number=f"{'1' if currency == 'BOB' else '2'}{n:09d}",
        kind=Account.Kind.MEMBER,
        product_type=product_type,
        holder_mode=holder_mode,
        currency=currency,
    )
    if member is not None:
        Holder.objects.create(account=account, member=member, role=Holder.Role.OWNER)
    for other in co_holders:
        Holder.objects.create(account=account, member=other, role=Holder.Role.CO_OWNER)
    amount = Decimal(str(balance))
    if amount:
        services.cash_deposit(account=account, amount=amount)
        account.refresh_from_db()
    return account


# -- Signatures ----------------------------------------------------------------------------
# Member-facing services take a PIN receipt (accounts.signing). ``signed`` makes a real one
# through the same code path as signature_verify after the PIN check (a SignatureGrant row and
# the audit row); the ``signed_*`` helpers call a service with a receipt for exactly its
# arguments, so a test that is not about signing reads as before.


def signed(user: User, *, purpose: str, fingerprint: str, summary: dict | None = None):
    from accounts.signing import signature_issue

    # Spanish like everything a test types: the summary shows on the audit event's admin page,
    # which the no-English walk reads (tests/content/test_spanish_only.py).
    return signature_issue(
        user=user,
        purpose=purpose,
        fingerprint=fingerprint,
        summary=summary or {"Prueba": "firma de prueba"},
    )


def user_for(member: Member) -> User:
    """The member's web user (created when the test made none)."""
    return User.objects.filter(member=member).first() or make_user(member=member)


def signed_transfer_execute(*, user, order, expected_fingerprint, **kwargs):
    from transfers.events import TransferPurpose
    from transfers.services import (
        transfer_execute,
        transfer_signing_fingerprint,
    )

    signature = signed(
        user,
        purpose=TransferPurpose.EXECUTE,
        fingerprint=transfer_signing_fingerprint(
            order=order, expected_fingerprint=expected_fingerprint
        ),
    )
    return transfer_execute(
        user=user,
        order=order,
        expected_fingerprint=expected_fingerprint,
        signature=signature,
        **kwargs,
    )


def priced_transfer_execute(*, user, order, **kwargs):
    """What the wizard does with ``order``: price it (step 4), then sign and execute that
    price under a fresh idempotency key."""
    import uuid

    from transfers.services import transfer_prepare

    quote = transfer_prepare(user=user, order=order)
    kwargs.setdefault("idempotency_key", uuid.uuid4().hex)
    return signed_transfer_execute(
        user=user, order=order, expected_fingerprint=quote.fingerprint(), **kwargs
    )


def signed_transfer_cosign(*, user, transfer_id, approve, **kwargs):
    from transfers.events import TransferPurpose
    from transfers.models import Transfer
    from transfers.services import (
        transfer_cosign,
        transfer_cosign_fingerprint,
    )

    transfer = Transfer.objects.filter(pk=transfer_id).first() or Transfer(pk=transfer_id)
    signature = signed(
        user,
        purpose=TransferPurpose.COSIGN,
        fingerprint=transfer_cosign_fingerprint(transfer=transfer, approve=approve),
    )
    return transfer_cosign(
        user=user, transfer_id=transfer_id, approve=approve, signature=signature, **kwargs
    )


def signed_loan_pay(*, user, loan, source_account, **kwargs):
    from loans.events import LoanPurpose
    from loans.services import loan_pay, loan_pay_fingerprint

    selection = {
        k: kwargs[k]
        for k in ("instalment_ids", "amount", "payoff", "expected_fingerprint")
        if k in kwargs
    }
    signature = signed(
        user,
        purpose=LoanPurpose.PAY,
        fingerprint=loan_pay_fingerprint(
            loan_id=loan.pk, source_account_id=source_account.pk, **selection
        ),
    )
    return loan_pay(
        user=user, loan=loan, source_account=source_account, signature=signature, **kwargs
    )


def signed_beneficiary_register_member(*, owner, actor=None, number, alias, email="", **kwargs):
    from beneficiaries import services
    from beneficiaries.events import BeneficiaryPurpose

    actor = actor or user_for(owner)
    signature = signed(
        actor,
        purpose=BeneficiaryPurpose.REGISTER,
        fingerprint=services.beneficiary_register_member_fingerprint(
            owner=owner, number=number, alias=alias, email=email
        ),
    )
    return services.beneficiary_register_member(
        owner=owner,
        actor=actor,
        number=number,
        alias=alias,
        email=email,
        signature=signature,
        **kwargs,
    )


def signed_beneficiary_register_other_bank(*, owner, actor=None, **kwargs):
    from beneficiaries import services
    from beneficiaries.events import BeneficiaryPurpose

    actor = actor or user_for(owner)
    # The fields the fingerprint binds, as the wizard passes them (the service's own list).
    fields = {k: kwargs[k] for k in services.OTHER_BANK_FIELDS if k in kwargs}
    signature = signed(
        actor,
        purpose=BeneficiaryPurpose.REGISTER,
        fingerprint=services.beneficiary_register_other_bank_fingerprint(owner=owner, **fields),
    )
    return services.beneficiary_register_other_bank(
        owner=owner, actor=actor, signature=signature, **kwargs
    )


def signed_beneficiary_update(*, product, actor=None, alias, email="", **kwargs):
    from beneficiaries import services
    from beneficiaries.events import BeneficiaryPurpose

    actor = actor or user_for(product.owner)
    signature = signed(
        actor,
        purpose=BeneficiaryPurpose.UPDATE,
        fingerprint=services.beneficiary_update_fingerprint(
            product_id=product.pk, alias=alias, email=email
        ),
    )
    return services.beneficiary_update(
        product=product, actor=actor, alias=alias, email=email, signature=signature, **kwargs
    )


def signed_beneficiary_delete(*, product, actor=None, **kwargs):
    from beneficiaries import services
    from beneficiaries.events import BeneficiaryPurpose

    actor = actor or user_for(product.owner)
    signature = signed(
        actor,
        purpose=BeneficiaryPurpose.DELETE,
        fingerprint=services.beneficiary_delete_fingerprint(product_id=product.pk),
    )
    return services.beneficiary_delete(product=product, actor=actor, signature=signature, **kwargs)


def signed_member_limit_set(*, user, transfer_type, amount_bob, **kwargs):
    from transfers.events import TransferPurpose
    from transfers.limits import member_limit_fingerprint, member_limit_set

    signature = signed(
        user,
        purpose=TransferPurpose.LIMIT_SET,
        fingerprint=member_limit_fingerprint(transfer_type=transfer_type, amount_bob=amount_bob),
    )
    return member_limit_set(
        user=user, transfer_type=transfer_type, amount_bob=amount_bob, signature=signature, **kwargs
    )
