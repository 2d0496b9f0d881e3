"""audit_insert_sql (the hot paths' audit row written in their own statement) writes exactly
the row audit_record writes: same columns, same values, the subject's id taken inside."""

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_insert_sql, audit_record
from tests.factories import make_user

pytestmark = pytest.mark.django_db

COMPARED = ("actor_id", "event", "subject", "old", "new", "ip_address")


def _row(event: AuditEvent) -> dict:
    return {name: getattr(event, name) for name in COMPARED}


def test_the_statement_writes_the_row_audit_record_writes():
    user = make_user()
    values = {
        "actor": user,
        "event": "signature.verified",
        "subject": user,
        "old": {"a": "ñandú"},
        "new": {"summary": {"Monto": "Bs 1,00"}, "n": 1},
        "ip_address": "203.0.113.9",
    }
    expected = _row(audit_record(**values))
    sql, params = audit_insert_sql(**values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    written = AuditEvent.objects.order_by("-pk").first()
    assert _row(written) == expected
    assert written.occurred_at is not None


def test_the_subject_id_comes_from_the_callers_with_query():
    sql, params = audit_insert_sql(
        actor=None, event="x.created", subject="transfers.transfer", subject_id_from="t"
    )
    with connection.cursor() as cursor:
        statement = f"WITH t AS (SELECT 4242 AS id), a AS ({sql}) SELECT id FROM t"  # noqa: S608  # nosec B608
        cursor.execute(statement, params)
    written = AuditEvent.objects.get()
    assert (written.subject, written.actor_id, written.ip_address) == (
        "transfers.transfer:4242",
        None,
        None,
    )
    assert (written.old, written.new) == ({}, {})
