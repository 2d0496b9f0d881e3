"""The only code that changes a balance.

:func:`posting_create` takes a balanced set of lines and applies it atomically in ONE round
trip: the PostgreSQL function ``ledger_posting_create`` (ledger migration 0005) locks every
touched account with ``SELECT ... FOR UPDATE`` in primary-key order (so two postings over the
same accounts queue instead of deadlocking), refuses an unbalanced posting, a closed account,
a member balance going below zero or a used idempotency key (returning the refusal, so the
caller's transaction stays usable), and writes the posting, its lines with their running
balances, and the new stored balances. Deadlocks and serialization failures are retried a
bounded number of times. The database itself refuses, at commit, a posting that does not
balance or has fewer than two lines, any change to a posted line, and a stored balance that
moved without a line (the same migration's triggers).
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .codes import InternalAccount
from .events import LedgerEvent
from .exceptions import (
    AccountNotOperational,
    DuplicatePosting,
    InsufficientFunds,
    InvalidAmount,
    LedgerError,
    UnbalancedPosting,
)
from .models import Account, Posting
from .money import has_cents_only
from .retry import atomic_with_retries
from .selectors import internal_account_get

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One leg of a posting: ``amount`` > 0 credits the account, < 0 debits it."""

    account_id: int
    amount: Decimal
    description: str = ""


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

    def work() -> Posting:
        return _post_locked(
            kind=kind,
            description=description,
            lines=lines,
            actor=actor,
            idempotency_key=idempotency_key,
            booked_at=booked_at,
            reverses=reverses,
        )

    if connection.in_atomic_block:
        return work()
    try:
        # One statement, so no transaction block around it: in autocommit the function call is
        # its own transaction and its COMMIT (with the deferred guards) is the same round trip.
        return atomic_with_retries(work, atomic=False)
    except IntegrityError as exc:
        # A database constraint refused what the checks above let through: nothing was
        # written (the transaction rolled back), so report it as a refused posting.
        logger.error("posting refused by the database: %s", exc)
        raise LedgerError() from exc


# Refusals ledger_posting_create returns (nothing written), and the exception each one is.
_REFUSALS = {
    "unbalanced": UnbalancedPosting,
    "not_operational": AccountNotOperational,
    "insufficient_funds": InsufficientFunds,
    "duplicate": DuplicatePosting,
}

# One statement, one round trip: the PostgreSQL function (ledger migration 0005) locks the
# accounts lowest id first, refuses, or writes the posting, its lines and the balances.
_POSTING_SQL = "SELECT posting_id, refusal FROM ledger_posting_create(%s, %s, %s, %s, %s, %s, %s::bigint[], %s::numeric[], %s::varchar[])"  # noqa: E501


def _array_literals(lines: Sequence[Line]) -> tuple[str, str, str]:
    """The lines' account ids, amounts and descriptions as PostgreSQL array literals.

    Why not Python lists: psycopg's list dumper inspects every element to pick the array's
    type, ~35 us of client CPU per posting (a fifth of it, bench/ledger.py). Still bound
    parameters, never SQL text: ids go through int(), amounts are Decimals (str() is a valid
    numeric literal), and every description is double-quoted with backslash and double quote
    escaped, which is all the array syntax needs inside quotes (a quoted NULL is a string).
    """
    ids = ",".join(str(int(line.account_id)) for line in lines)
    amounts = ",".join(str(line.amount) for line in lines)
    descriptions = ",".join(
        '"' + line.description.replace("\\", "\\\\").replace('"', '\\"') + '"' for line in lines
    )
    return "{" + ids + "}", "{" + amounts + "}", "{" + descriptions + "}"


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
    # Why not the ORM: profiling bench/ledger.py showed the generic machinery (model
    # instances, save()/bulk_create() bookkeeping, query compilation) and one round trip per
    # statement were most of a posting's cost. Every value is a bound parameter.
    now = booked_at or timezone.now()
    posting = Posting(
        kind=kind,
        description=description,
        booked_at=now,
        idempotency_key=idempotency_key,
        created_by=actor,
        reverses=reverses,
    )
    params = [
        kind,
        description,
        now,
        idempotency_key,
        posting.created_by_id,
        posting.reverses_id,
        *_array_literals(lines),
    ]
    db = transaction.get_connection()  # the wrapper itself: the proxy costs per access
    with db.cursor() as cursor:
        cursor.execute(_POSTING_SQL, params)
        posting_id, refusal = cursor.fetchone()
    if refusal is not None:
        if refusal == "missing_account":
            raise LedgerError(_("One of the accounts does not exist."))
        raise _REFUSALS[refusal]()
    posting.pk = posting_id
    # The instance now mirrors its row, as save() would have left it.
    posting._state.adding = False
    posting._state.db = connection.alias
    return posting


def _cash_operation(kind: str, doc: str) -> Callable[..., Posting]:
    """Cash across the branch window, one direction: ``amount`` moves between the member's
    product and the vault, credited to the product on a deposit, debited on a withdrawal. The
    default description is the posting kind's own name ("Depósito en efectivo")."""
    sign = 1 if kind == Posting.Kind.DEPOSIT else -1

    def operation(
        *,
        account: Account,
        amount: Decimal,
        actor: object | None = None,
        description: str = "",
        booked_at: datetime | None = None,
    ) -> Posting:
        if amount <= 0:
            raise InvalidAmount()
        vault = internal_account_get(code=InternalAccount.VAULT, currency=account.currency)
        signed = sign * amount
        return posting_create(
            kind=kind,
            description=description or str(Posting.Kind(kind).label),
            lines=[Line(account.pk, signed), Line(vault.pk, -signed)],
            actor=actor,
            booked_at=booked_at,
        )

    operation.__name__ = operation.__qualname__ = f"cash_{kind}"
    operation.__doc__ = doc
    return operation


cash_deposit = _cash_operation(
    Posting.Kind.DEPOSIT, "Cash received at a branch: credit the member's product, debit the vault."
)
cash_withdrawal = _cash_operation(
    Posting.Kind.WITHDRAWAL,
    "Cash paid out at a branch: debit the member's product, credit the vault.",
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


def cash_operation_staff(
    *,
    authorisation,
    account: Account,
    operation: str,
    amount: Decimal,
    description: str = "",
    ip_address: str | None = None,
) -> Posting:
    """A clerk's cash deposit or withdrawal at the branch window ("ventanilla").

    ``authorisation`` is an :class:`accounts.signing.StaffAuthorisation` for
    ``ledger.post_cash``: checked here (not only in the admin view), and the audit row naming
    the clerk is written in the same transaction as the posting.
    """
    from audit.services import audit_record

    if authorisation.permission != "ledger.post_cash":
        raise PermissionError(authorisation.permission)
    authorisation.check()
    post = {"deposit": cash_deposit, "withdrawal": cash_withdrawal}[operation]
    with transaction.atomic():
        posting = post(
            account=account, amount=amount, actor=authorisation.clerk, description=description
        )
        audit_record(
            actor=authorisation.clerk,
            event=LedgerEvent(f"ledger.cash_{operation}"),
            subject=account,
            new={"amount": str(amount), "posting": posting.pk},
            ip_address=ip_address,
        )
    return posting
