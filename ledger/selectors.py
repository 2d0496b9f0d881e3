"""Reads of the ledger: member accounts, statements and exchange rates."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .codes import InternalAccount
from .exceptions import ExchangeRateMissing
from .models import Account, ExchangeRate, Holder, PostingLine

STATEMENT_PAGE_SIZE = 50


def internal_account_get(*, code: InternalAccount, currency: str) -> Account:
    return Account.objects.get(kind=Account.Kind.INTERNAL, code=code, currency=currency)


def member_accounts_list(*, member_id: int | None, with_holders: bool = True) -> QuerySet[Account]:
    """Every product the member holds, in a stable order; with their holders prefetched for
    pages that show them. Checks that only need the accounts (a transfer's source or
    destination) pass ``with_holders=False`` and save two queries per use."""
    if member_id is None:
        return Account.objects.none()
    accounts = (
        Account.objects.filter(kind=Account.Kind.MEMBER, holder_links__member_id=member_id)
        .exclude(status=Account.Status.CLOSED)
        .order_by("currency", "number")
    )
    if with_holders:
        accounts = accounts.prefetch_related(
            Prefetch("holder_links", queryset=Holder.objects.select_related("member"))
        )
    return accounts


def member_account_get(*, member_id: int | None, account_id: int) -> Account:
    """The member's own account, or 404: a foreign id must look exactly like a missing one."""
    try:
        return member_accounts_list(member_id=member_id).get(pk=account_id)
    except Account.DoesNotExist as exc:
        raise Http404 from exc


def account_share_text(*, account: Account) -> str:
    """The one line a member sends someone who will transfer to them, e.g. "Caja de Ahorros
    BOB N.º 1010000136 — María Elena Pérez Quispe — Cooperativa Progreso": product, currency,
    the full number and every holder's name (a transfer to a joint account names them all)."""
    # The holders are prefetched by member_accounts_list: sorted here, no new query.
    names = [
        link.member.display_name for link in sorted(account.holder_links.all(), key=lambda h: h.pk)
    ]
    parts = [
        _("%(product)s %(currency)s No. %(number)s")
        % {
            "product": account.get_product_type_display(),
            "currency": account.currency,
            "number": account.number,
        },
        ", ".join(names),
        str(_("Cooperativa Progreso")),
    ]
    return " — ".join(part for part in parts if part)


@dataclass(frozen=True)
class StatementPage:
    lines: list[PostingLine]
    next_cursor: int | None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def statement_page(
    *,
    account: Account,
    date_from: date | None = None,
    date_to: date | None = None,
    before_id: int | None = None,
    limit: int = STATEMENT_PAGE_SIZE,
) -> StatementPage:
    """One page of movements, newest first, continuing below ``before_id`` (keyset pagination).

    The cursor is the last line id shown, so page 20,000 costs one index range scan like
    page 1 does; no OFFSET.
    """
    lines = PostingLine.objects.filter(account=account)
    if date_from:
        lines = lines.filter(booked_at__gte=_day_start(date_from))
    if date_to:
        lines = lines.filter(booked_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    if before_id:
        lines = lines.filter(pk__lt=before_id)
    rows = list(
        lines.order_by("-pk").only(
            "pk", "amount", "balance_after", "booked_at", "description", "currency"
        )[: limit + 1]
    )
    next_cursor = rows[limit - 1].pk if len(rows) > limit else None
    return StatementPage(lines=rows[:limit], next_cursor=next_cursor)


def statement_lines_iter(
    *, account: Account, date_from: date | None = None, date_to: date | None = None
) -> "QuerySet[PostingLine]":
    """All movements for a download, oldest first, streamed in chunks."""
    lines = PostingLine.objects.filter(account=account)
    if date_from:
        lines = lines.filter(booked_at__gte=_day_start(date_from))
    if date_to:
        lines = lines.filter(booked_at__lt=_day_start(date_to) + timezone.timedelta(days=1))
    return lines.order_by("pk").only(
        "pk", "amount", "balance_after", "booked_at", "description", "currency"
    )


def balance_before(*, account: Account, day: date) -> Decimal:
    """The account's balance at the start of ``day`` (its last movement booked earlier)."""
    line = (
        PostingLine.objects.filter(account=account, booked_at__lt=_day_start(day))
        .order_by("-booked_at", "-pk")
        .only("balance_after")
        .first()
    )
    return line.balance_after if line else Decimal("0.00")


def exchange_rate_in_force(
    *, rate_type: str, on: date, currency: str = "USD"
) -> ExchangeRate | None:
    """The approved row in force on ``on``: the newest ``valid_from`` on or before that date,
    the latest published among rows of the same date. Proposals awaiting a second approval and
    rejected ones never apply. (The buy ≤ sell database trigger reads rates the same way.)"""
    return (
        ExchangeRate.objects.filter(
            currency=currency,
            rate_type=rate_type,
            valid_from__lte=on,
            status=ExchangeRate.Status.APPROVED,
        )
        .order_by("-valid_from", "-published_at", "-pk")
        .first()
    )


def exchange_rate_get(*, rate_type: str, on: date, currency: str = "USD") -> Decimal:
    """The official rate in force on ``on`` (see :func:`exchange_rate_in_force`)."""
    row = exchange_rate_in_force(rate_type=rate_type, on=on, currency=currency)
    if row is None:
        raise ExchangeRateMissing()
    return row.rate
