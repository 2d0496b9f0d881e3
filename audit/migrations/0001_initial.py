"""AuditEvent moves from accounts to audit: state only, no row and no table touched.

The model keeps its table (``db_table = "accounts_auditevent"``), so this migration and
accounts' ``0008_rooms_move_outbox_audit`` change Django's picture of the schema and nothing
in PostgreSQL: no copy of the audit trail, no lock on the table every money transaction
writes. The content type is renamed so the admin log and staff permissions stay attached.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label="audit", model="auditevent").exists():
        return  # already created by a post-migrate signal: nothing to carry over
    ContentType.objects.filter(app_label="accounts", model="auditevent").update(app_label="audit")


def content_type_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="audit", model="auditevent").update(app_label="accounts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0007_receipts_signature_grant"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("occurred_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="occurred at")),
                        ("event", models.CharField(db_index=True, max_length=60, verbose_name="event")),
                        ("subject", models.CharField(db_index=True, max_length=120, verbose_name="subject")),
                        ("old", models.JSONField(blank=True, default=dict, verbose_name="old values")),
                        ("new", models.JSONField(blank=True, default=dict, verbose_name="new values")),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="actor")),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit events",
                        "ordering": ["-occurred_at", "-pk"],
                        "db_table": "accounts_auditevent",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_forward, content_type_backward),
    ]
