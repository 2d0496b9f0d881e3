"""The only code that changes a balance.

:func:`posting_create` takes a balanced set of lines and applies it atomically: it locks every
touched account with ``SELECT ... FOR UPDATE`` in primary-key order (so two postings over the
same accounts queue instead of deadlocking), checks each member balance stays non-negative,
writes the posting, its lines with their running balances, and the new stored balances, all in
one transaction. Deadlocks and serialization failures are retried a bounded number of times.
"""

import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import (
    AccountNotOperational,
    DuplicatePosting,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    PostingUnavailable,
    UnbalancedPosting,
)
from .models import Account, Posting, PostingLine
from .money import has_cents_only
from .selectors import internal_account_get

logger = logging.getLogger(__name__)

# SQLSTATEs worth a retry: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}


@dataclass(frozen=True)
class Line:
    """One leg of a posting: ``amount`` > 0 credits the account, < 0 debits it."""

    account_id: int
    amount: Decimal
    description: str = ""


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def _validate(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise UnbalancedPosting(_("A posting needs at least two lines."))
    for line in lines:
        if not isinstance(line.amount, Decimal):
            raise InvalidAmount(_("Amounts must be decimal numbers."))
        if not has_cents_only(line.amount) or line.amount == 0:
            raise InvalidAmount()


def posting_create(
    *,
    kind: str,
    description: str,
    lines: Sequence[Line],
    actor: object | None = None,
    idempotency_key: str | None = None,
    booked_at: datetime | None = None,
    reverses: Posting | None = None,
) -> Posting:
    """Post ``lines`` as one balanced journal entry and return the :class:`Posting`.

    Raises a :class:`~ledger.exceptions.LedgerError` subclass, with nothing written, when the
    lines do not balance per currency, an account is not open, a member balance would go
    negative, the idempotency key was used already, or the database stays unavailable after
    the bounded retries. Inside a caller's transaction no retry is possible (the caller's
    transaction is already doomed), so the error propagates for the caller to retry as a whole.
    """
    _validate(lines)
    if connection.in_atomic_block:
        return _post_locked(
            kind=kind,
            description=description,
            lines=lines,
            actor=actor,
            idempotency_key=idempotency_key,
            booked_at=booked_at,
            reverses=reverses,
        )
    attempts = settings.LEDGER_POSTING_RETRIES
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return _post_locked(
                    kind=kind,
                    description=description,
                    lines=lines,
                    actor=actor,
                    idempotency_key=idempotency_key,
                    booked_at=booked_at,
                    reverses=reverses,
                )
        except IntegrityError as exc:
            # A database constraint refused what the checks above let through: nothing was
            # written (the transaction rolled back), so report it as a refused posting.
            logger.error("posting refused by the database: %s", exc)
            raise LedgerError() from exc
        except OperationalError as exc:
            if _sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == attempts:
                logger.warning("posting failed after %d attempt(s): %s", attempt, exc)
                raise PostingUnavailable() from exc
            # Jittered backoff so the colliding transactions do not collide again in lockstep.
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - not for security
    raise PostingUnavailable()  # pragma: no cover - the loop always returns or raises


def _post_locked(
    *,
    kind: str,
    description: str,
    lines: Sequence[Line],
    actor: object | None,
    idempotency_key: str | None,
    booked_at: datetime | None,
    reverses: Posting | None,
) -> Posting:
    account_ids = sorted({line.account_id for line in lines})
    accounts = {
        account.pk: account
        for account in Account.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")
        .only("pk", "kind", "currency", "balance", "status")
    }
    if len(accounts) != len(account_ids):
        raise LedgerError(_("One of the accounts does not exist."))

    totals: dict[str, Decimal] = defaultdict(Decimal)
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        account = accounts[line.account_id]
        totals[account.currency] += line.amount
        deltas[account.pk] += line.amount
    if any(total != 0 for total in totals.values()):
        raise UnbalancedPosting()

    for pk, delta in deltas.items():
        account = accounts[pk]
        if account.kind == Account.Kind.MEMBER:
            if account.status != Account.Status.OPEN:
                raise AccountNotOperational()
            if account.balance + delta < 0:
                raise InsufficientFunds()

    # The timestamp is taken after the locks so, per account, line ids and times both increase.
    now = booked_at or timezone.now()
    posting = Posting(
        kind=kind,
        description=description,
        booked_at=now,
        idempotency_key=idempotency_key,
        created_by=actor,
        reverses=reverses,
    )
    if idempotency_key is None:
        posting.save(force_insert=True)
    else:
        # A savepoint only when a duplicate is possible: it costs a round trip per posting.
        try:
            with transaction.atomic():
                posting.save(force_insert=True)
        except IntegrityError as exc:
            raise DuplicatePosting() from exc

    running = {pk: accounts[pk].balance for pk in account_ids}
    rows = []
    for line in lines:
        running[line.account_id] += line.amount
        rows.append(
            PostingLine(
                posting=posting,
                account_id=line.account_id,
                amount=line.amount,
                currency=accounts[line.account_id].currency,
                balance_after=running[line.account_id],
                booked_at=now,
                description=line.description or description,
            )
        )
    PostingLine.objects.bulk_create(rows)
    # The rows are locked, so the balance read above is current: write the exact Decimal
    # rather than F("balance") + delta, which SQLite (make run) would compute in floating point.
    for pk in account_ids:
        if deltas[pk]:
            Account.objects.filter(pk=pk).update(balance=running[pk])
    return posting


def cash_deposit(
    *,
    account: Account,
    amount: Decimal,
    actor: object | None = None,
    description: str = "",
    booked_at: datetime | None = None,
) -> Posting:
    """Cash received at a branch: credit the member's product, debit the vault."""
    if amount <= 0:
        raise InvalidAmount()
    vault = internal_account_get(code="VAULT", currency=account.currency)
    return posting_create(
        kind=Posting.Kind.DEPOSIT,
        description=description or _("Cash deposit"),
        lines=[Line(account.pk, amount), Line(vault.pk, -amount)],
        actor=actor,
        booked_at=booked_at,
    )


def cash_withdrawal(
    *,
    account: Account,
    amount: Decimal,
    actor: object | None = None,
    description: str = "",
    booked_at: datetime | None = None,
) -> Posting:
    """Cash paid out at a branch: debit the member's product, credit the vault."""
    if amount <= 0:
        raise InvalidAmount()
    vault = internal_account_get(code="VAULT", currency=account.currency)
    return posting_create(
        kind=Posting.Kind.WITHDRAWAL,
        description=description or _("Cash withdrawal"),
        lines=[Line(account.pk, -amount), Line(vault.pk, amount)],
        actor=actor,
        booked_at=booked_at,
    )


def posting_reverse(*, posting: Posting, description: str, actor: object | None = None) -> Posting:
    """Post the exact opposite of ``posting`` (each line negated), linked to it; at most once.

    Member accounts are credited back what they were debited, so a reversal never fails for
    lack of funds on the member side.
    """
    lines = [
        Line(line.account_id, -line.amount, description)
        for line in posting.lines.order_by("pk").only("account_id", "amount")
    ]
    return posting_create(
        kind=Posting.Kind.REVERSAL,
        description=description,
        lines=lines,
        actor=actor,
        idempotency_key=f"reversal:{posting.pk}",
        reverses=posting,
    )
