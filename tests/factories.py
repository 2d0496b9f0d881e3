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
