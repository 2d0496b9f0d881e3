"""Moving OutboxMessage and AuditEvent out of accounts loses no row.

From the schema as it was before the move (accounts owning both models), with rows in it:
migrate forward, and every row is still there, read through the new apps' models; the
content types (which the admin log and staff permissions point at) keep their ids; new rows
continue the same id sequence. And back again: the reverse migration loses nothing either.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _move_migration(executor) -> tuple[str, str]:
    (key,) = [
        key
        for key in executor.loader.disk_migrations
        if key[0] == "accounts" and key[1].endswith("_move_outbox_audit")
    ]
    return key


def _before_move(executor) -> list[tuple[str, str | None]]:
    """The state just before the move: accounts at the move's parent, the new apps absent."""
    move = _move_migration(executor)
    (parent,) = [p for p in executor.loader.graph.node_map[move].parents if p.key[0] == "accounts"]
    return [parent.key, ("outbox", None), ("audit", None)]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _leaves() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_rows_survive_the_move_forward_and_back():
    user = make_user(username="auditada")
    executor = MigrationExecutor(connection)
    before = _before_move(executor)
    try:
        executor = _migrate(before)
        old = executor.loader.project_state([before[0]]).apps
        OldOutbox = old.get_model("accounts", "OutboxMessage")
        OldAudit = old.get_model("accounts", "AuditEvent")
        # contenttypes' table is the same before and after; only its rows move.
        OldContentType = ContentType
        outbox_type = OldContentType.objects.get_or_create(
            app_label="accounts", model="outboxmessage"
        )[0]
        audit_type = OldContentType.objects.get_or_create(app_label="accounts", model="auditevent")[
            0
        ]
        message = OldOutbox.objects.create(
            channel="email",
            recipient="socio@example.bo",
            subject="Hola",
            body_text="texto",
            status="failed",
            attempts=8,
            next_attempt_at=timezone.now(),
            last_error="SMTP caído",
        )
        event = OldAudit.objects.create(
            actor_id=user.pk,
            event="transfer.posted",
            subject="transfers.transfer:7",
            old={"a": 1},
            new={"b": "2"},
            ip_address="10.0.0.9",
        )

        _migrate(_leaves())

        moved = OutboxMessage.objects.get(pk=message.pk)
        assert (moved.recipient, moved.status, moved.attempts, moved.last_error) == (
            "socio@example.bo",
            OutboxMessage.Status.FAILED,
            8,
            "SMTP caído",
        )
        trail = AuditEvent.objects.get(pk=event.pk)
        assert (trail.actor_id, trail.event, trail.subject, trail.old, trail.new) == (
            user.pk,
            "transfer.posted",
            "transfers.transfer:7",
            {"a": 1},
            {"b": "2"},
        )
        assert str(trail.ip_address) == "10.0.0.9"
        # The admin log and permissions point at these ids: they moved, not were recreated.
        assert ContentType.objects.get_for_model(OutboxMessage).pk == outbox_type.pk
        assert ContentType.objects.get_for_model(AuditEvent).pk == audit_type.pk
        # The id sequence carries on.
        later = OutboxMessage.objects.create(
            channel="sms", recipient="70000000", body_text="x", next_attempt_at=timezone.now()
        )
        assert later.pk > message.pk

        # And back: nothing lost on the way down either.
        executor = _migrate(before)
        old = executor.loader.project_state([before[0]]).apps
        assert old.get_model("accounts", "OutboxMessage").objects.count() == 2
        assert old.get_model("accounts", "AuditEvent").objects.filter(pk=event.pk).exists()
        assert ContentType.objects.filter(
            app_label="accounts", model="auditevent", pk=audit_type.pk
        ).exists()
    finally:
        _migrate(_leaves())
        ContentType.objects.clear_cache()
