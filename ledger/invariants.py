"""The ledger's invariants, checked in SQL over the whole journal.

The second line of defence: since ledger migration 0005 the database itself refuses a broken
posting, an edited line and a balance moved without a line; this audit still proves the
whole journal (and catches what a superuser who switched the triggers off left behind).
(ROUND(..., 2) is a no-op on PostgreSQL's exact numeric; kept from the SQLite days, harmless.)

Used by ``manage.py ledger_audit`` and by the tests after every money-moving scenario.
Each check returns human-readable breaches; an empty list means the ledger is sound.
"""

from django.db import connection

CHECKS = {
    "posting does not balance per currency": """
        SELECT posting_id, currency, SUM(amount)
        FROM ledger_postingline GROUP BY posting_id, currency HAVING ROUND(SUM(amount), 2) <> 0
    """,
    "posting has fewer than two lines": """
        SELECT p.id, COUNT(l.id) FROM ledger_posting p
        LEFT JOIN ledger_postingline l ON l.posting_id = p.id
        GROUP BY p.id HAVING COUNT(l.id) < 2
    """,
    "line currency differs from its account": """
        SELECT l.id, l.currency, a.currency FROM ledger_postingline l
        JOIN ledger_account a ON a.id = l.account_id WHERE l.currency <> a.currency
    """,
    "stored balance differs from the sum of its lines": """
        SELECT a.id, a.balance, COALESCE(s.total, 0) FROM ledger_account a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_postingline
                   GROUP BY account_id) s ON s.account_id = a.id
        WHERE ROUND(a.balance - COALESCE(s.total, 0), 2) <> 0
    """,
    "running balance breaks the chain": """
        SELECT id, account_id, balance_after FROM (
            SELECT id, account_id, amount, balance_after,
                   LAG(balance_after, 1, 0) OVER (PARTITION BY account_id ORDER BY id) AS prev
            FROM ledger_postingline) chain
        WHERE ROUND(balance_after - prev - amount, 2) <> 0
    """,
    "member balance is negative": """
        SELECT id, number, balance FROM ledger_account WHERE kind = 'member' AND balance < 0
    """,
}


def ledger_breaches(limit: int = 20) -> list[str]:
    """Every invariant breach found (at most ``limit`` examples per check)."""
    breaches = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS.items():
            cursor.execute(f"{sql} LIMIT %s", [limit])  # noqa: S608 - constant SQL above
            breaches.extend(f"{name}: {row!r}" for row in cursor.fetchall())
    return breaches
