"""Reads of registered third-party products, the account lookup ("Buscar") and the
new-beneficiary safeguard the transfers feature applies.

``account_lookup`` is the one read that writes: it bumps the rate-limit counters and leaves an
audit row, because a lookup tells a member something about another member and must be both
bounded and traceable.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from django.conf import settings
from django.db.models import Min, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ledger.models import Account, Holder
from ledger.money import format_money

from .models import ThirdPartyProduct
from .rules import mask_name


def products_list(*, owner_id: int | None) -> QuerySet[ThirdPartyProduct]:
    """The member's live products with their bank, in one query."""
    if owner_id is None:
        return ThirdPartyProduct.objects.none()
    return (
        ThirdPartyProduct.objects.filter(owner_id=owner_id, deleted_at__isnull=True)
        .select_related("bank")
        .order_by("alias", "pk")
    )


def product_get(*, owner_id: int | None, pk: int) -> ThirdPartyProduct:
    """The member's own live product, or 404: another member's id looks exactly like a miss."""
    try:
        return products_list(owner_id=owner_id).get(pk=pk)
    except ThirdPartyProduct.DoesNotExist as exc:
        raise Http404 from exc


def eligible_account_get(*, number: str) -> Account | None:
    """A cooperative savings account that can receive third-party transfers, or None.

    Unknown numbers, internal accounts, checking accounts and blocked or closed accounts all
    give None, so every caller answers them the same way.
    """
    return (
        Account.objects.filter(
            number=number,
            kind=Account.Kind.MEMBER,
            product_type=Account.ProductType.SAVINGS,
            status=Account.Status.OPEN,
        )
        .prefetch_related("holder_links__member")
        .first()
    )


def account_holder_masked_name(account: Account) -> str:
    """The owner's name, masked; the first-listed holder when no one is marked owner."""
    links = sorted(account.holder_links.all(), key=lambda h: (h.role != Holder.Role.OWNER, h.pk))
    return mask_name(links[0].member.display_name) if links else ""


def member_holds_account(*, member_id: int, account_id: int) -> bool:
    return Holder.objects.filter(member_id=member_id, account_id=account_id).exists()


def own_account_message() -> str:
    return _("This account is yours; it cannot be registered as a third-party product.")


class LookupStatus(Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    OWN = "own"
    REFUSED = "refused"


@dataclass(frozen=True)
class LookupResult:
    status: LookupStatus
    masked_name: str = ""
    currency: str = ""

    @property
    def found(self) -> bool:
        return self.status is LookupStatus.FOUND

    @property
    def message(self) -> str:
        if self.status is LookupStatus.FOUND:
            return _("Account holder: %(name)s") % {"name": self.masked_name}
        if self.status is LookupStatus.OWN:
            return own_account_message()
        if self.status is LookupStatus.REFUSED:
            return _(
                "You have made too many searches in a short time. Please wait a minute and try "
                "again."
            )
        # One message for unknown, closed, blocked, internal and checking accounts alike.
        return _("No savings account with that number can receive transfers.")

    def as_json(self) -> dict[str, Any]:
        return {"found": self.found, "name": self.masked_name, "message": self.message}


def cooling_period() -> timedelta:
    return settings.BENEFICIARY_COOLING_PERIOD


def cooling_limit(currency: str) -> Decimal:
    return Decimal(settings.BENEFICIARY_COOLING_LIMIT[currency])


def destination_registered_at(
    *,
    owner_id: int,
    account_id: int | None = None,
    bank_id: int | None = None,
    number: str = "",
) -> datetime | None:
    """When the member first registered this destination, or None if never.

    New-beneficiary safeguard (beyond the cooperative's guide): the cooling period belongs to
    the member and the destination account, never to a product row. A cooperative account is
    identified by its ledger account, another bank's by bank and number. Every row counts,
    deleted ones included (deletion is soft and rows are never removed), and a product's
    number and bank cannot be edited, so deleting, registering again or renaming a product
    never moves this instant later.
    """
    if account_id is not None:
        rows = ThirdPartyProduct.objects.filter(
            owner_id=owner_id, kind=ThirdPartyProduct.Kind.MEMBER, account_id=account_id
        )
    elif bank_id is not None and number:
        rows = ThirdPartyProduct.objects.filter(
            owner_id=owner_id,
            kind=ThirdPartyProduct.Kind.OTHER_BANK,
            bank_id=bank_id,
            number=number,
        )
    else:
        return None
    return rows.aggregate(first=Min("created_at"))["first"]


def destination_cooling_until(
    *,
    owner_id: int,
    at: datetime,
    account_id: int | None = None,
    bank_id: int | None = None,
    number: str = "",
) -> tuple[bool, datetime | None]:
    """(cooling, until): whether transfers from the member to this destination are capped at
    ``at``, and until when (None for a destination never registered: capped as long as it
    stays unregistered, over every window of one cooling period).

    A destination leaves the cooling period once ``BENEFICIARY_COOLING_PERIOD`` has passed
    since the member's first registration of it (:func:`destination_registered_at`).
    """
    first = destination_registered_at(
        owner_id=owner_id, account_id=account_id, bank_id=bank_id, number=number
    )
    if first is None:
        return True, None
    until = first + cooling_period()
    return at < until, until


def _product_destination(product: ThirdPartyProduct) -> dict[str, Any]:
    if product.kind == ThirdPartyProduct.Kind.MEMBER:
        return {"account_id": product.account_id}
    return {"bank_id": product.bank_id, "number": product.number}


def beneficiary_transfer_cap(*, product: ThirdPartyProduct, at: datetime) -> Decimal | None:
    """The most that may be sent to ``product``'s destination within one cooling period at
    ``at``, or None when no cap applies.

    While the member's first registration of the destination is younger than
    ``BENEFICIARY_COOLING_PERIOD``, the money the member sends to it is capped at
    ``BENEFICIARY_COOLING_LIMIT[currency]``, so a hijacked session cannot register a mule
    account and empty the member's savings into it at once. The transfers feature compares the
    cap with what the member credited to the destination over the last cooling period plus the
    new amount (``transfers.quotes.beneficiary_cap_check``).
    """
    cooling, _until = destination_cooling_until(
        owner_id=product.owner_id, at=at, **_product_destination(product)
    )
    return cooling_limit(product.currency) if cooling else None


def beneficiary_transfer_cap_message(*, product: ThirdPartyProduct, at: datetime) -> str | None:
    """Why the cap applies and until when, for the transfer screen; None when it does not."""
    cooling, until = destination_cooling_until(
        owner_id=product.owner_id, at=at, **_product_destination(product)
    )
    if not cooling or until is None:
        return None
    return _(
        "%(alias)s was registered recently. For your security, until %(until)s you can send "
        "it at most %(cap)s."
    ) % {
        "alias": product.alias,
        "until": date_format(timezone.localtime(until), "DATETIME_FORMAT"),
        "cap": format_money(cooling_limit(product.currency), product.currency),
    }
