"""The posting in one round trip, and the database guarding the ledger (issue 13).

``ledger_posting_create`` does in ONE statement from Python what ``ledger.services`` did in
three or four: lock the touched accounts in id order, refuse what must be refused, write the
posting, its lines with running balances, and the new stored balances.

The guards (django-hordak's model: the database refuses a broken journal, ``ledger_audit``
stays as the second line):

- at commit (a DEFERRABLE INITIALLY DEFERRED constraint trigger), every posting created or
  given a line in the transaction has at least two lines and sums to zero per currency;
- postings and lines are append-only: UPDATE and DELETE are refused (TRUNCATE, the test
  suite's flush, fires no row trigger);
- at commit, a stored balance that changed equals the running balance of its account's latest
  line: a balance moves only together with a line of that account.

Deferred, not immediate, so a posting may be written in several statements inside one
transaction; and so that a test transaction that is never committed can still fabricate a
broken ledger to prove that ``ledger_audit`` sees it.
"""

from django.db import migrations

# Refusals come back as a value, not an exception: an exception would abort the caller's
# transaction (a transfer's, a loan payment's), which today survives an InsufficientFunds or a
# DuplicatePosting. Nothing is written before a refusal is decided.
POSTING_CREATE = """
CREATE FUNCTION ledger_posting_create(
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
LANGUAGE plpgsql AS $$
DECLARE
    v_locked integer;
BEGIN
    -- Lowest id first, so two postings over the same accounts queue instead of deadlocking
    -- (the rows are locked in the order the sort hands them to the lock node).
    PERFORM 1 FROM ledger_account
        WHERE id = ANY (p_account_ids) ORDER BY id FOR UPDATE;
    GET DIAGNOSTICS v_locked = ROW_COUNT;
    IF v_locked <> (SELECT count(DISTINCT a) FROM unnest(p_account_ids) AS a) THEN
        refusal := 'missing_account';
        RETURN;
    END IF;

    IF EXISTS (
        SELECT 1
        FROM unnest(p_account_ids, p_amounts) AS l (account_id, amount)
        JOIN ledger_account AS a ON a.id = l.account_id
        GROUP BY a.currency
        HAVING sum(l.amount) <> 0
    ) THEN
        refusal := 'unbalanced';
        RETURN;
    END IF;

    -- The first member account, in line order, that is not open or would go below zero.
    SELECT CASE WHEN a.status <> 'open' THEN 'not_operational' ELSE 'insufficient_funds' END
    INTO refusal
    FROM (
        SELECT l.account_id, sum(l.amount) AS delta, min(l.n) AS first_line
        FROM unnest(p_account_ids, p_amounts) WITH ORDINALITY AS l (account_id, amount, n)
        GROUP BY l.account_id
    ) AS d
    JOIN ledger_account AS a ON a.id = d.account_id
    WHERE a.kind = 'member' AND (a.status <> 'open' OR a.balance + d.delta < 0)
    ORDER BY d.first_line
    LIMIT 1;
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;

    -- A used idempotency key is a refusal, not an error: the first posting (committed, or
    -- waited for if in flight) stands.
    INSERT INTO ledger_posting
        (kind, description, booked_at, idempotency_key, created_by_id, reverses_id)
    VALUES
        (p_kind, p_description, p_booked_at, p_idempotency_key, p_created_by, p_reverses)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO posting_id;
    IF posting_id IS NULL THEN
        refusal := 'duplicate';
        RETURN;
    END IF;

    -- Running balances in line order, from the locked (so current) stored balances.
    INSERT INTO ledger_postingline
        (posting_id, account_id, amount, currency, balance_after, booked_at, description)
    SELECT posting_id, l.account_id, l.amount, a.currency,
           a.balance + sum(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.n),
           p_booked_at, coalesce(nullif(l.description, ''), p_description)
    FROM unnest(p_account_ids, p_amounts, p_descriptions)
         WITH ORDINALITY AS l (account_id, amount, description, n)
    JOIN ledger_account AS a ON a.id = l.account_id
    ORDER BY l.n;

    UPDATE ledger_account AS a
    SET balance = a.balance + d.delta
    FROM (
        SELECT l.account_id, sum(l.amount) AS delta
        FROM unnest(p_account_ids, p_amounts) AS l (account_id, amount)
        GROUP BY l.account_id
    ) AS d
    WHERE a.id = d.account_id AND d.delta <> 0;
END
$$;
"""

GUARDS = """
CREATE FUNCTION ledger_posting_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_posting bigint;
    v_lines integer;
    v_unbalanced text;
BEGIN
    IF TG_TABLE_NAME = 'ledger_posting' THEN
        v_posting := NEW.id;
    ELSE
        v_posting := NEW.posting_id;
    END IF;
    SELECT count(*) INTO v_lines FROM ledger_postingline WHERE posting_id = v_posting;
    IF v_lines < 2 THEN
        RAISE EXCEPTION 'posting % has % line(s); a posting needs at least two', v_posting, v_lines
            USING ERRCODE = '23L01';
    END IF;
    SELECT currency INTO v_unbalanced FROM ledger_postingline WHERE posting_id = v_posting
        GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'posting % does not sum to zero in %', v_posting, v_unbalanced
            USING ERRCODE = '23L02';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced
    AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_check();

CREATE CONSTRAINT TRIGGER ledger_postingline_balanced
    AFTER INSERT ON ledger_postingline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_check();

CREATE FUNCTION ledger_journal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %: the journal is append-only; post a reversal instead',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = '23L03';
END
$$;

CREATE TRIGGER ledger_posting_append_only
    BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_append_only();

CREATE TRIGGER ledger_postingline_append_only
    BEFORE UPDATE OR DELETE ON ledger_postingline
    FOR EACH ROW EXECUTE FUNCTION ledger_journal_append_only();

-- Only balance changes are guarded: status, name and the rest change freely. Checked at
-- commit against the row as it is then (the last of several updates in one transaction).
CREATE FUNCTION ledger_account_balance_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_balance numeric;
    v_last numeric;
BEGIN
    SELECT balance INTO v_balance FROM ledger_account WHERE id = NEW.id;
    SELECT balance_after INTO v_last FROM ledger_postingline
        WHERE account_id = NEW.id ORDER BY id DESC LIMIT 1;
    IF v_balance IS DISTINCT FROM coalesce(v_last, 0) THEN
        RAISE EXCEPTION 'the balance of account % changed to % without a line (last line leaves %)',
            NEW.id, v_balance, coalesce(v_last, 0)
            USING ERRCODE = '23L04';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_account_balance_with_line
    AFTER UPDATE OF balance ON ledger_account
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION ledger_account_balance_check();

CREATE CONSTRAINT TRIGGER ledger_account_opens_with_line
    AFTER INSERT ON ledger_account
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION ledger_account_balance_check();
"""

REVERSE = """
DROP TRIGGER ledger_account_opens_with_line ON ledger_account;
DROP TRIGGER ledger_account_balance_with_line ON ledger_account;
DROP FUNCTION ledger_account_balance_check();
DROP TRIGGER ledger_postingline_append_only ON ledger_postingline;
DROP TRIGGER ledger_posting_append_only ON ledger_posting;
DROP FUNCTION ledger_journal_append_only();
DROP TRIGGER ledger_postingline_balanced ON ledger_postingline;
DROP TRIGGER ledger_posting_balanced ON ledger_posting;
DROP FUNCTION ledger_posting_check();
DROP FUNCTION ledger_posting_create(
    varchar, varchar, timestamptz, varchar, bigint, bigint, bigint[], numeric[], varchar[]
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_staffmoney_exchange_rates"),
    ]

    operations = [
        migrations.RunSQL(POSTING_CREATE + GUARDS, REVERSE),
    ]
