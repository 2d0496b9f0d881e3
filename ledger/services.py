"""The only code that changes a balance.

:func:`posting_create` takes a balanced set of lines and applies it atomically: it locks every
touched account with ``SELECT ... FOR UPDATE`` in primary-key order (so two postings over the
same accounts queue instead of deadlocking), checks each member balance stays non-negative,
writes the posting, its lines with their running balances, and the new stored balances, all in
one transaction. Deadlocks and serialization failures are retried a bounded number of times.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

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
from .models import Account, Posting, PostingLine
from .money import has_cents_only
from .retry import atomic_with_retries, sqlstate
from .selectors import internal_account_get

logger = logging.getLogger(__name__)

UNIQUE_VIOLATION = "23505"


class _LockedAccount(NamedTuple):
    pk: int
    kind: str
    currency: str
    balance: Decimal
    status: str


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
        return atomic_with_retries(work)
    except IntegrityError as exc:
        # A database constraint refused what the checks above let through: nothing was
        # written (the transaction rolled back), so report it as a refused posting.
        logger.error("posting refused by the database: %s", exc)
        raise LedgerError() from exc


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
    # Plain tuples, not model instances: building deferred (.only()) instances cost more
    # Python time than the query itself on the hot path (measured by bench/ledger.py).
    accounts = {row[0]: _LockedAccount(*row) for row in _accounts_lock(account_ids)}
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
    posting_row = {
        "kind": kind,
        "description": description,
        "booked_at": now,
        "idempotency_key": idempotency_key,
        "created_by": posting.created_by_id,
        "reverses": posting.reverses_id,
    }
    running = {pk: accounts[pk].balance for pk in account_ids}
    line_rows = []
    for line in lines:
        running[line.account_id] += line.amount
        line_rows.append(
            {
                "account": line.account_id,
                "amount": line.amount,
                "currency": accounts[line.account_id].currency,
                "balance_after": running[line.account_id],
                "booked_at": now,
                "description": line.description or description,
            }
        )
    # The rows are locked, so the balance read above is current: write the exact Decimal
    # rather than F("balance") + delta, which SQLite (make run) would compute in floating point.
    balances = {pk: running[pk] for pk in account_ids if deltas[pk]}
    posting.pk = _journal_write(
        posting_row=posting_row,
        line_rows=line_rows,
        balances=balances,
        idempotent=idempotency_key is not None,
    )
    # The instance now mirrors its row, as save() would have left it.
    posting._state.adding = False
    posting._state.db = connection.alias
    return posting


def _accounts_lock(account_ids: list[int]) -> list[tuple]:
    """Lock the accounts lowest id first; return (id, kind, currency, balance, status) rows."""
    db = transaction.get_connection()  # the wrapper itself: the proxy costs per access
    if db.vendor != "postgresql":
        # SQLite (make run) has no row locks (it serialises writers) and needs Django's
        # converters to read its decimals exactly.
        return list(
            Account.objects.select_for_update()
            .filter(pk__in=account_ids)
            .order_by("pk")
            .values_list("id", "kind", "currency", "balance", "status")
        )
    # The same SQL the ORM generates, written out: compiling the queryset was a tenth of a
    # posting's Python time. psycopg returns numeric as Decimal.
    placeholders = ", ".join("%s" for _ in account_ids)
    columns = '"id", "kind", "currency", "balance", "status"'
    where = f'"id" IN ({placeholders})'
    sql = f'SELECT {columns} FROM "ledger_account" WHERE {where} ORDER BY "ledger_account"."id" ASC FOR UPDATE'  # noqa: E501, S608  # nosec B608  # placeholders only
    with db.cursor() as cursor:
        cursor.execute(sql, account_ids)
        return cursor.fetchall()


# Why raw SQL below: profiling bench/ledger.py showed the generic ORM machinery (model
# instances, save()/bulk_create() bookkeeping, query compilation) and one round trip per
# statement were most of a posting's cost. Values still go through each model field's
# get_db_prep_save(), as save() and bulk_create() do, and are always bound parameters; the
# ledger models have no auto_now fields or signal receivers that this would bypass.


def _insert_sql(
    model, rows: list[dict[str, object]], *, fixed: dict[str, str] | None = None
) -> tuple[str, list[object]]:
    """A multi-row ``INSERT`` for ``rows``; ``fixed`` maps a field to a constant SQL expression
    used in every row (the posting id taken from the statement's own CTE)."""
    db = transaction.get_connection()  # the wrapper itself: the proxy costs per access
    fixed = fixed or {}
    fields = [model._meta.get_field(name) for name in [*fixed, *rows[0]]]
    columns = ", ".join(db.ops.quote_name(field.column) for field in fields)
    row_sql = "(" + ", ".join([*fixed.values(), *("%s" for _ in rows[0])]) + ")"
    params = [
        field.get_db_prep_save(row[field.name], db)
        for row in rows
        for field in fields[len(fixed) :]
    ]
    table = db.ops.quote_name(model._meta.db_table)
    values = ", ".join(row_sql for _ in rows)
    # Table and columns are quoted model meta names; every value is a bound %s placeholder.
    return f"INSERT INTO {table} ({columns}) VALUES {values}", params  # noqa: S608  # nosec B608


def _balances_sql(balances: dict[int, Decimal]) -> tuple[str, list[object]]:
    """ONE ``UPDATE ... SET balance = CASE id WHEN ...`` for every touched account (plain SQL
    that PostgreSQL and SQLite both run) instead of a statement per account."""
    db = transaction.get_connection()  # the wrapper itself: the proxy costs per access
    field = Account._meta.get_field("balance")
    params: list[object] = []
    for pk, balance in balances.items():
        params += [pk, field.get_db_prep_save(balance, db)]
    params += list(balances)
    whens = " ".join("WHEN %s THEN %s" for _ in balances)
    placeholders = ", ".join("%s" for _ in balances)
    table = db.ops.quote_name(Account._meta.db_table)
    # The quoted model table and %s placeholders only; every value is bound.
    sql = f"UPDATE {table} SET balance = CASE id {whens} END WHERE id IN ({placeholders})"  # noqa: E501, S608  # nosec B608
    return sql, params


def _journal_write(
    *,
    posting_row: dict[str, object],
    line_rows: list[dict[str, object]],
    balances: dict[int, Decimal],
    idempotent: bool,
) -> int:
    """Insert the posting and its lines and store the new balances; return the posting id.

    On PostgreSQL it is ONE statement (data-modifying CTEs): all or nothing like the
    transaction around it, and two round trips fewer per posting. Elsewhere (SQLite for
    ``make run``) the same three statements run one after the other.
    """
    db = transaction.get_connection()  # the wrapper itself: the proxy costs per access
    posting_sql, posting_params = _insert_sql(Posting, [posting_row])
    if db.vendor == "postgresql":
        lines_sql, lines_params = _insert_sql(
            PostingLine, line_rows, fixed={"posting": "(SELECT id FROM new_posting)"}
        )
        parts = [
            f"WITH new_posting AS ({posting_sql} RETURNING id)",
            f", new_lines AS ({lines_sql})",
        ]
        params = [*posting_params, *lines_params]
        if balances:
            balances_sql, balances_params = _balances_sql(balances)
            parts.append(f", new_balances AS ({balances_sql} RETURNING id)")
            params += balances_params
        parts.append("SELECT (SELECT id FROM new_posting)")
        if balances:
            parts.append(", (SELECT COUNT(*) FROM new_balances)")

        def execute() -> int:
            with db.cursor() as cursor:
                cursor.execute(" ".join(parts), params)
                posting_id, *updated = cursor.fetchone()
            if balances and updated[0] != len(balances):  # pragma: no cover - rows are locked
                raise LedgerError(_("One of the accounts does not exist."))
            return posting_id

        if not idempotent:
            return execute()
        # A savepoint only when a duplicate is possible: it costs a round trip per posting.
        try:
            with transaction.atomic():
                return execute()
        except IntegrityError as exc:
            # The key is the only unique value this statement writes; any other violation
            # (e.g. the non-negative balance check) is not a duplicate.
            if sqlstate(exc) == UNIQUE_VIOLATION:
                raise DuplicatePosting() from exc
            raise

    with db.cursor() as cursor:
        sql = f"{posting_sql} RETURNING id"  # SQLite >= 3.35 (Django 5.2 requires 3.31+)
        if idempotent:
            try:
                with transaction.atomic():
                    cursor.execute(sql, posting_params)
                    # Fetch before the savepoint is released: SQLite refuses to release one
                    # while the RETURNING statement is still open.
                    (posting_id,) = cursor.fetchone()
            except IntegrityError as exc:
                raise DuplicatePosting() from exc
        else:
            cursor.execute(sql, posting_params)
            (posting_id,) = cursor.fetchone()
        lines_sql, lines_params = _insert_sql(
            PostingLine, [{"posting": posting_id, **row} for row in line_rows]
        )
        cursor.execute(lines_sql, lines_params)
        if balances:
            balances_sql, balances_params = _balances_sql(balances)
            cursor.execute(balances_sql, balances_params)
            if cursor.rowcount != len(balances):  # pragma: no cover - the rows are locked
                raise LedgerError(_("One of the accounts does not exist."))
    return posting_id


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
    vault = internal_account_get(code=InternalAccount.VAULT, currency=account.currency)
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
    vault = internal_account_get(code=InternalAccount.VAULT, currency=account.currency)
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
