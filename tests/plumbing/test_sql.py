"""progresonet.sql, the hot paths' plain statements: the names come from the models' meta,
quoted; an INSERT writes the row ``create`` writes; rows read back are the instances a
queryset gives (the fields' converters applied)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import SignatureGrant
from audit.models import AuditEvent
from progresonet.sql import insert_columns, names, sql
from tests.factories import make_user


def test_the_names_are_the_models_quoted_names():
    statement = sql(
        "UPDATE {g} SET {g.used_at} = %s WHERE {g.user} = %s AND {g.pk} = %s "
        "RETURNING {e.columns:x} FROM {src}",
        g=SignatureGrant,
        e=AuditEvent,
        src="t",
    )
    assert statement == (
        'UPDATE "accounts_signaturegrant" SET "used_at" = %s WHERE "user_id" = %s '
        'AND "id" = %s RETURNING x."id", x."occurred_at", x."actor_id", x."event", '
        'x."subject", x."old", x."new", x."ip_address" FROM "t"'
    )
    # The table's own name, not the model's (AuditEvent kept the name it had in accounts).
    assert sql("{e}", e=AuditEvent) == '"accounts_auditevent"'
    assert f"{names(AuditEvent).columns}" == (
        '"id", "occurred_at", "actor_id", "event", "subject", "old", "new", "ip_address"'
    )


def test_the_text_is_built_once_per_template():
    template = "SELECT {g.digest} FROM {g}"
    assert sql(template, g=SignatureGrant) is sql(template, g=SignatureGrant)


def test_an_unknown_field_is_refused_when_the_text_is_built():
    with pytest.raises(Exception, match="no_such_field"):
        sql("SELECT {g.no_such_field} FROM {g}", g=SignatureGrant)


def test_insert_columns_leave_out_an_auto_key_but_not_a_key_the_instance_carries():
    assert "id" not in [f.name for f in insert_columns(AuditEvent).fields]
    assert "id" in [f.name for f in insert_columns(SignatureGrant).fields]
    columns = insert_columns(AuditEvent, exclude=("subject",))
    assert "subject" not in [f.name for f in columns.fields]
    assert columns.values == ", ".join(["%s"] * len(columns))
    assert "%s::varchar(60)" in columns.typed  # the event column, typed as the field


@pytest.mark.django_db
def test_insert_params_write_the_row_create_writes(monkeypatch):
    """Defaults (``old``), ``auto_now_add`` (``occurred_at``), a foreign key and the
    values' database preparation (JSON, an address) all as ``objects.create``."""
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: when)
    user = make_user()
    values = {
        "actor": user,
        "event": "x.done",
        "subject": "a.b:1",
        "new": {"Monto": "Bs 1,00", "n": 1, "ñandú": [True, None]},
        "ip_address": "2001:db8::1",
    }
    created = AuditEvent.objects.create(**values)
    columns = insert_columns(AuditEvent)
    statement = sql(
        "INSERT INTO {e} ({c}) VALUES ({c.values}) RETURNING {e.id}", e=AuditEvent, c=columns
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, columns.params(AuditEvent(**values)))
        written = AuditEvent.objects.get(pk=cursor.fetchone()[0])
    compared = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    assert [getattr(written, name) for name in compared] == [
        getattr(created, name) for name in compared
    ]
    assert (written.occurred_at, written.old) == (when, {})


@pytest.mark.django_db
def test_rows_read_back_are_the_querysets_instances_with_converters_applied():
    event = AuditEvent.objects.create(
        actor=None, event="x.done", subject="a.b:1", new={"summary": {"Monto": "Bs 1,00"}}
    )
    statement = sql("SELECT {e.columns} FROM {e} WHERE {e.pk} = %s", e=AuditEvent)
    with connection.cursor() as cursor:
        cursor.execute(statement, [event.pk])
        row = cursor.fetchone()
    new_at = [f.name for f in AuditEvent._meta.concrete_fields].index("new")
    # The driver hands JSON over as text: without the field's converter it would stay so.
    assert isinstance(row[new_at], str)

    (read,) = names(AuditEvent).columns.read(statement, [event.pk])
    expected = AuditEvent.objects.get(pk=event.pk)
    assert read.new == {"summary": {"Monto": "Bs 1,00"}}
    assert [getattr(read, f.attname) for f in AuditEvent._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in AuditEvent._meta.concrete_fields
    ]
    assert (read._state.adding, read._state.db) == (False, "default")
    assert names(AuditEvent).columns.instances([]) == []
