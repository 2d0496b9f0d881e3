"""The posting function at half the server CPU (issue 13, "Speed").

Profiled with ``perf`` on the backend running ``bench/ledger.py``'s postings (see
docs/scaling.md): migration 0005's ``ledger_posting_create`` cost ~0.9 ms of server CPU per
posting against ~0.15–0.2 ms for a pgbench TPC-B transaction on the same server. A third
of it was the planner: PL/pgSQL re-planned each of its seven statements on every call (a
custom plan for each array argument), and the generic plans it would otherwise cache
seq-scan ``ledger_account`` (an array of unknown length looks like ten rows, so on a small
accounts table a hash join over a seq scan is "cheaper" than ten index probes). Then the
per-statement executor start-up of seven statements, and the deferred guards' two queries
per fired trigger.

What changes, the behaviour staying the same (same arguments, same refusals, same rows):

- two statements instead of seven: one locks the accounts and decides every refusal, one
  writes the posting, the lines and the balances (data-modifying CTEs);
- the function runs with generic plans cached for the session and index access forced
  (``SET plan_cache_mode``, ``enable_seqscan``, ``enable_hashjoin``: function-local, the
  caller's settings are restored on return). The function only ever touches a handful of
  rows by primary key, so an index probe is right at every table size;
- each guard trigger asks one query instead of two;
- the lines' single-column index on the account goes: two composite indexes already start
  with it, and every line paid for a fifth index write.

Measured: ~0.9 → ~0.45 ms of server CPU per posting (``/proc/<pid>/stat`` of the backend,
1,500 postings, alternated with the old function in the same database).
"""

import importlib
import re

import django.db.models.deletion
from django.db import migrations, models

POSTING_CREATE = """
CREATE OR REPLACE FUNCTION ledger_posting_create(
    p_kind varchar,
    p_description varchar,
    p_booked_at timestamptz,
    p_idempotency_key varchar,
    p_created_by bigint,
    p_reverses bigint,
    p_account_ids bigint[],
    p_amounts numeric[],
    p_descriptions varchar[],
    OUT posting_id bigint,
    OUT refusal text
)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
AS $$
DECLARE
    v_missing boolean;
    v_unbalanced boolean;
BEGIN
    -- 1. Lock (lowest id first, so two postings over the same accounts queue instead of
    -- deadlocking: rows are locked in the order the sort hands them to the lock node) and
    -- decide every refusal in one statement. Nothing is written before a refusal is decided.
    WITH a AS MATERIALIZED (
        SELECT id, currency, kind, status, balance FROM ledger_account
        WHERE id = ANY (p_account_ids) ORDER BY id FOR UPDATE
    ), d AS MATERIALIZED (
        SELECT l.account_id, sum(l.amount) AS delta, min(l.n) AS first_line
        FROM unnest(p_account_ids, p_amounts) WITH ORDINALITY AS l (account_id, amount, n)
        GROUP BY l.account_id
    )
    SELECT
        (SELECT count(*) FROM a) <> (SELECT count(*) FROM d),
        EXISTS (
            SELECT 1 FROM d JOIN a ON a.id = d.account_id
            GROUP BY a.currency HAVING sum(d.delta) <> 0
        ),
        (
            SELECT CASE WHEN a.status <> 'open' THEN 'not_operational'
                        ELSE 'insufficient_funds' END
            FROM d JOIN a ON a.id = d.account_id
            WHERE a.kind = 'member' AND (a.status <> 'open' OR a.balance + d.delta < 0)
            ORDER BY d.first_line
            LIMIT 1
        )
    INTO v_missing, v_unbalanced, refusal;
    IF v_missing THEN
        refusal := 'missing_account';
        RETURN;
    ELSIF v_unbalanced THEN
        refusal := 'unbalanced';
        RETURN;
    ELSIF refusal IS NOT NULL THEN
        RETURN;
    END IF;

    -- 2. Write the posting, its lines with running balances (in line order, from the balances
    -- locked above: this statement's snapshot is newer than the lock) and the stored balances,
    -- in one statement. The data-modifying CTEs all read the snapshot taken before any of them
    -- writes, so l sees the balances before the UPDATE. A used idempotency key inserts no
    -- posting, and then no line and no balance either (both join p): the first posting
    -- (committed, or waited for if in flight) stands.
    WITH p AS (
        INSERT INTO ledger_posting
            (kind, description, booked_at, idempotency_key, created_by_id, reverses_id)
        VALUES
            (p_kind, p_description, p_booked_at, p_idempotency_key, p_created_by, p_reverses)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    ), l AS (
        SELECT l.account_id, l.amount, l.n, a.currency,
               a.balance + sum(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.n)
                   AS balance_after,
               coalesce(nullif(l.description, ''), p_description) AS description
        FROM unnest(p_account_ids, p_amounts, p_descriptions)
             WITH ORDINALITY AS l (account_id, amount, description, n)
        JOIN ledger_account AS a ON a.id = l.account_id
    ), written AS (
        INSERT INTO ledger_postingline
            (posting_id, account_id, amount, currency, balance_after, booked_at, description)
        SELECT p.id, l.account_id, l.amount, l.currency, l.balance_after, p_booked_at, l.description
        FROM p CROSS JOIN l
        ORDER BY l.n
    ), moved AS (
        UPDATE ledger_account AS a
        SET balance = a.balance + d.delta
        FROM (
            SELECT x.account_id, sum(x.amount) AS delta
            FROM unnest(p_account_ids, p_amounts) AS x (account_id, amount)
            GROUP BY x.account_id
        ) AS d, p
        WHERE a.id = d.account_id AND d.delta <> 0
    )
    SELECT p.id INTO posting_id FROM p;
    IF posting_id IS NULL THEN
        refusal := 'duplicate';
    END IF;
END
$$;
"""

GUARDS = """
-- One query per fired trigger (was two): the line count and the first unbalanced currency
-- together. Fired per posting row and per line row, deferred to commit, so it sees every
-- line the transaction wrote.
CREATE OR REPLACE FUNCTION ledger_posting_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_posting bigint;
    v_lines bigint;
    v_unbalanced text;
BEGIN
    IF TG_TABLE_NAME = 'ledger_posting' THEN
        v_posting := NEW.id;
    ELSE
        v_posting := NEW.posting_id;
    END IF;
    SELECT coalesce(sum(c.lines), 0), min(c.currency) FILTER (WHERE c.total <> 0)
    INTO v_lines, v_unbalanced
    FROM (
        SELECT currency, count(*) AS lines, sum(amount) AS total
        FROM ledger_postingline WHERE posting_id = v_posting
        GROUP BY currency
    ) AS c;
    IF v_lines < 2 THEN
        RAISE EXCEPTION 'posting % has % line(s); a posting needs at least two', v_posting, v_lines
            USING ERRCODE = '23L01';
    END IF;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'posting % does not sum to zero in %', v_posting, v_unbalanced
            USING ERRCODE = '23L02';
    END IF;
    RETURN NULL;
END
$$;

-- One query (was two): the stored balance as it is at commit and its account's latest line.
CREATE OR REPLACE FUNCTION ledger_account_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_balance numeric;
    v_last numeric;
BEGIN
    SELECT a.balance, (
        SELECT l.balance_after FROM ledger_postingline AS l
        WHERE l.account_id = a.id ORDER BY l.id DESC LIMIT 1
    )
    INTO v_balance, v_last
    FROM ledger_account AS a WHERE a.id = NEW.id;
    IF v_balance IS DISTINCT FROM coalesce(v_last, 0) THEN
        RAISE EXCEPTION 'the balance of account % changed to % without a line (last line leaves %)',
            NEW.id, v_balance, coalesce(v_last, 0)
            USING ERRCODE = '23L04';
    END IF;
    RETURN NULL;
END
$$;
"""


def _previous() -> str:
    """Migration 0005's definitions, as CREATE OR REPLACE (which also drops the SET clauses)."""
    old = importlib.import_module("ledger.migrations.0005_engine_posting_function_and_guards")
    functions = [old.POSTING_CREATE] + re.findall(
        r"CREATE FUNCTION ledger_(?:posting_check|account_balance_check)\(\).*?\$\$;",
        old.GUARDS,
        flags=re.DOTALL,
    )
    return "\n".join(f.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION") for f in functions)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_engine_posting_function_and_guards"),
    ]

    operations = [
        migrations.RunSQL(POSTING_CREATE + GUARDS, _previous()),
        # The lines' single-column account index: covered by line_account_id_desc and
        # line_account_booked, and one index write less per line (models.PostingLine).
        migrations.AlterField(
            model_name="postingline",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.account",
            ),
        ),
    ]
