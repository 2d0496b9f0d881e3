"""OutboxMessage moves from accounts to outbox: state only, no row and no table touched.

The model keeps its table (``db_table = "accounts_outboxmessage"``), so this migration and
accounts' ``0008_rooms_move_outbox_audit`` change Django's picture of the schema and nothing
in PostgreSQL: no copy, no lock, and whatever raw SQL names the table keeps working. The
content type is renamed so the admin log and any staff permission on it stay attached.
"""

from django.db import migrations, models


def content_type_forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label="outbox", model="outboxmessage").exists():
        return  # already created by a post-migrate signal: nothing to carry over
    ContentType.objects.filter(app_label="accounts", model="outboxmessage").update(
        app_label="outbox"
    )


def content_type_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="outbox", model="outboxmessage").update(
        app_label="accounts"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0007_receipts_signature_grant"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("channel", models.CharField(choices=[("email", "Email"), ("sms", "SMS")], max_length=5, verbose_name="channel")),
                        ("recipient", models.CharField(max_length=254, verbose_name="recipient")),
                        ("subject", models.CharField(blank=True, max_length=200, verbose_name="subject")),
                        ("body_text", models.TextField(verbose_name="text body")),
                        ("body_html", models.TextField(blank=True, verbose_name="HTML body")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("sent", "Sent"), ("failed", "Failed")], default="pending", max_length=10, verbose_name="status")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("next_attempt_at", models.DateTimeField(verbose_name="next attempt at")),
                        ("last_error", models.TextField(blank=True, verbose_name="last error")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                    ],
                    options={
                        "verbose_name": "outbox message",
                        "verbose_name_plural": "outbox messages",
                        "db_table": "accounts_outboxmessage",
                        "indexes": [models.Index(condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="outbox_pending_due")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_forward, content_type_backward),
    ]
