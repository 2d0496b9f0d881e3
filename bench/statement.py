"""``statement``: a keyset statement page 990,000 movements deep vs the first page.

One member account gets 1,000,000 movements and another 1,000, bulk-inserted in SQL as real
balanced postings (each a line on the member account and its mirror on the vault) with correct
running balances and stored balances, checked by ``ledger_breaches()``. Then
``ledger.selectors.statement_page`` is timed (median of N calls) for the first page and a deep
page of each account; the deep page in the big account must cost what the first page of the
small one does. The headline ratio is the median over ROUNDS rounds; in each round the two
pages are timed call by call in alternation (deep, first, deep, first, ...) so both see the
same load on the shared machine, and the round's ratio is the quotient of their medians
(issue 13: <= 1.2 as the median of at least 5 alternating runs). The deep page's EXPLAIN
shows the index range scan.
"""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

from . import common

_numbers = itertools.count()

BIG = 1_000_000
SMALL = 1_000
BIG_DEPTH = 990_000
# The small account's deep page: deep enough to be near the end, yet a full 50-line page.
SMALL_DEPTH = 900
REPEAT = 51
ROUNDS = 7
TARGET = 1.2  # issue 13

# Movement i of an account: an opening deposit, then three credits and one debit in four, so
# the running balance never goes negative; never zero (the database forbids zero lines).
_AMOUNT = """
    CASE WHEN i = 1 THEN %(opening)s::numeric
         WHEN i %% 4 = 0 THEN -((i %% 40) + 1 + (i %% 7) / 100.0)
         ELSE (i %% 90) + 10 + (i %% 100) / 100.0 END
"""
# Every value below is a bound parameter; the amount expression is spliced in as constant SQL.
_MOVEMENT_TEMPLATE = """
    CREATE TEMP TABLE bench_movement ON COMMIT DROP AS
    SELECT i, amount, SUM(amount) OVER (ORDER BY i) AS cumulative,
           now() - make_interval(secs => %(count)s - i) AS booked_at
    FROM (SELECT i, (AMOUNT_EXPRESSION)::numeric(18, 2) AS amount
          FROM generate_series(1, %(count)s) AS i) AS movement
"""
_MOVEMENT_SQL = _MOVEMENT_TEMPLATE.replace("AMOUNT_EXPRESSION", _AMOUNT)


def movements_insert(*, account_id: int, count: int, opening: Decimal = Decimal("5000.00")) -> None:
    """Append ``count`` balanced postings to a member account, mirrored on the BOB vault.

    Set-based rather than ``count`` service calls (a million would take an hour), but under the
    same rules as ``ledger.services``: both accounts locked in pk order, ids drawn from their
    sequences so lines of an account ascend with time, ``balance_after`` continuing each
    account's stored balance, and the stored balances moved by the same totals, in one
    transaction.
    """
    from django.db import connection, transaction

    from ledger.models import Account
    from ledger.selectors import internal_account_get

    vault = internal_account_get(code="VAULT", currency="BOB")
    with transaction.atomic(), connection.cursor() as cur:
        locked = {
            a.pk: a
            for a in Account.objects.select_for_update()
            .filter(pk__in=[account_id, vault.pk])
            .order_by("pk")
        }
        member, vault = locked[account_id], locked[vault.pk]
        if not member.currency == vault.currency == "BOB":
            raise ValueError("bench movements are in BOB against the BOB vault")
        # Reserve the id ranges so nothing else can interleave with them.
        cur.execute(
            """
            SELECT nextval(pg_get_serial_sequence('ledger_posting', 'id')),
                   nextval(pg_get_serial_sequence('ledger_postingline', 'id'))
            """
        )
        posting_base, line_base = cur.fetchone()
        cur.execute(
            """
            SELECT setval(pg_get_serial_sequence('ledger_posting', 'id'), %s),
                   setval(pg_get_serial_sequence('ledger_postingline', 'id'), %s)
            """,
            [posting_base + count - 1, line_base + 2 * count - 1],
        )
        params = {
            "count": count,
            "opening": opening,
            "posting_base": posting_base,
            "line_base": line_base,
            "member": member.pk,
            "vault": vault.pk,
            "member_balance": member.balance,
            "vault_balance": vault.balance,
        }
        cur.execute(_MOVEMENT_SQL, params)
        # A million balanced postings built by construction: the per-row guards of ledger
        # migration 0005 (two deferred checks per posting) would triple the load time, so they
        # are off for the bulk insert only (transactional DDL: back on at the end of this
        # block whatever happens). The balances below are checked again at commit.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # anything pending from before runs first
        for table in ("ledger_posting", "ledger_postingline"):
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # noqa: S608 - constant
        cur.execute(
            """
            INSERT INTO ledger_posting (id, kind, description, booked_at)
            SELECT %(posting_base)s + i - 1, 'transfer', 'Bench movement', booked_at
            FROM bench_movement
            """,
            params,
        )
        cur.execute(
            """
            INSERT INTO ledger_postingline
                (id, posting_id, account_id, amount, currency, balance_after, booked_at,
                 description)
            SELECT %(line_base)s + 2 * (i - 1), %(posting_base)s + i - 1, %(member)s,
                   amount, 'BOB', %(member_balance)s + cumulative, booked_at, 'Bench movement'
            FROM bench_movement
            UNION ALL
            SELECT %(line_base)s + 2 * (i - 1) + 1, %(posting_base)s + i - 1, %(vault)s,
                   -amount, 'BOB', %(vault_balance)s - cumulative, booked_at, 'Bench movement'
            FROM bench_movement
            ORDER BY 1
            """,
            params,
        )
        for table in ("ledger_posting", "ledger_postingline"):
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")  # noqa: S608 - constant
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("SELECT SUM(amount) FROM bench_movement")
        (total,) = cur.fetchone()
        Account.objects.filter(pk=member.pk).update(balance=member.balance + total)
        Account.objects.filter(pk=vault.pk).update(balance=vault.balance - total)
        # ON COMMIT DROP does not fire when an outer transaction (a test) is still open.
        cur.execute("DROP TABLE bench_movement")


def account_create(label: str):
    from ledger.models import Account

    return Account.objects.create(
        number=f"8{time.time_ns() % 10**12:012d}{next(_numbers):03d}",
        kind=Account.Kind.MEMBER,
        product_type=Account.ProductType.SAVINGS,
        holder_mode=Account.HolderMode.INDIVIDUAL,
        currency="BOB",
        name=label,
    )


def accounts_setup(*, big: int = BIG, small: int = SMALL):
    """Two member accounts with ``big`` and ``small`` movements."""
    accounts = {}
    for label, count in (("big", big), ("small", small)):
        account = account_create(f"Bench statement {count}")
        movements_insert(account_id=account.pk, count=count)
        account.refresh_from_db()
        accounts[label] = account
    return accounts["big"], accounts["small"]


def statistics_refresh() -> None:
    """What autovacuum would soon do on a live table: fresh statistics and visibility map.
    (VACUUM cannot run inside a transaction, so the smoke test leaves it out.)"""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) ledger_posting, ledger_postingline, ledger_account")


def cursor_at(account, depth: int) -> int:
    """The id of the ``depth``-th newest line: the page below it starts ``depth`` deep."""
    from ledger.models import PostingLine

    return (
        PostingLine.objects.filter(account=account)
        .order_by("-pk")
        .values_list("pk", flat=True)[depth - 1]
    )


def page_explain(account, before_id: int | None) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of exactly the SQL ``statement_page`` sends."""
    from django.db import connection

    from ledger.selectors import statement_page

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        statement_page(account=account, before_id=before_id)
    sql, params = captured[-1]
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return [row[0] for row in cur.fetchall()]


def alternating_ratios(deep, first, *, rounds: int, repeat: int) -> list[float]:
    """Per round: ``deep()`` and ``first()`` timed in alternation, ratio of their medians."""
    import statistics

    for _ in range(3):  # warm-up: plans cached, pages in shared buffers
        deep()
        first()
    ratios = []
    for _ in range(rounds):
        deep_s, first_s = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            deep()
            deep_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            first()
            first_s.append(time.perf_counter() - start)
        ratios.append(round(statistics.median(deep_s) / statistics.median(first_s), 3))
    return ratios


def run(*, big: int = BIG, small: int = SMALL, repeat: int = REPEAT, rounds: int = ROUNDS) -> dict:
    from ledger.invariants import ledger_breaches
    from ledger.selectors import statement_page

    started = time.monotonic()
    big_account, small_account = accounts_setup(big=big, small=small)
    statistics_refresh()
    setup_s = time.monotonic() - started
    print(f"statement: {big:,} + {small:,} movements inserted in {setup_s:.1f} s")
    breaches = ledger_breaches()
    if breaches:
        raise SystemExit("bench statement: invariants broken:\n" + "\n".join(breaches))
    print("statement: ledger_breaches() = [] after the bulk insert")

    big_depth = min(BIG_DEPTH, big - 100)
    small_depth = min(SMALL_DEPTH, small - 100)
    big_cursor = cursor_at(big_account, big_depth)
    small_cursor = cursor_at(small_account, small_depth)
    cases = {
        "big_first": (big_account, None),
        f"big_deep_{big_depth}": (big_account, big_cursor),
        "small_first": (small_account, None),
        f"small_deep_{small_depth}": (small_account, small_cursor),
    }
    timings_ms = {}
    for name, (account, cursor) in cases.items():
        page = statement_page(account=account, before_id=cursor)
        if len(page.lines) != 50 or page.next_cursor is None:
            raise SystemExit(f"bench statement: {name} is not a full page with a next cursor")
        seconds = common.median_seconds(
            lambda a=account, c=cursor: statement_page(account=a, before_id=c), repeat=repeat
        )
        timings_ms[name] = round(seconds * 1000, 3)
        print(f"statement: {name:>18}: median {timings_ms[name]:.3f} ms over {repeat} calls")
    deep = timings_ms[f"big_deep_{big_depth}"]
    ratios = {
        "big_deep_vs_small_first": round(deep / timings_ms["small_first"], 3),
        "big_deep_vs_big_first": round(deep / timings_ms["big_first"], 3),
        "big_first_vs_small_first": round(timings_ms["big_first"] / timings_ms["small_first"], 3),
    }
    by_round = alternating_ratios(
        lambda: statement_page(account=big_account, before_id=big_cursor),
        lambda: statement_page(account=small_account, before_id=None),
        rounds=rounds,
        repeat=repeat,
    )
    print(f"statement: deep / first page by alternating round: {by_round}")
    ratio = sorted(by_round)[len(by_round) // 2]
    verdict = "target met" if ratio <= TARGET else "ABOVE TARGET"
    print(f"statement: ratios {ratios}")
    print(
        f"statement: deep page in {big:,} / first page in {small:,}, median of {rounds} "
        f"alternating rounds: {ratio} ({verdict}, target <= {TARGET})"
    )
    plan = page_explain(big_account, big_cursor)
    print(f"statement: EXPLAIN of the page {big_depth:,} deep:")
    for line in plan:
        print(f"    {line}")
    # A range scan: an index scan bounded by the cursor (``id < ...``), no sequential scan and
    # no sort. PostgreSQL may walk either the (account, -id) index or the primary key backwards
    # filtering on the account, whichever its statistics say touches fewer rows.
    text = "\n".join(plan)
    index_range_scan = (
        "Index Scan" in text
        and "Index Cond" in text
        and "id <" in text
        and "Seq Scan" not in text
        and "Sort" not in text
    )
    print(f"statement: deep page is an index range scan: {index_range_scan}")
    small_plan = page_explain(small_account, small_cursor)
    print(f"statement: EXPLAIN of the page {small_depth:,} deep in the {small:,} account:")
    for line in small_plan:
        print(f"    {line}")
    return {
        "movements": {"big": big, "small": small},
        "depth": {"big": big_depth, "small": small_depth},
        "setup_seconds": round(setup_s, 1),
        "repeat": repeat,
        "median_ms": timings_ms,
        "ratios": ratios,
        "rounds": rounds,
        "ratio_by_round": by_round,
        "ratio": ratio,
        "target": TARGET,
        "deep_page_plan": plan,
        "small_deep_page_plan": small_plan,
        "deep_page_index_range_scan": index_range_scan,
    }
