"""The outbox, its deliveries and queued emails move from executions to integrations, rows and all.

1. The three models join this app's state on the tables they already have (no database change),
   and IntegrationLog.delivery points at this app's WebhookEvent (the same table).
2. executions 0007 then drops them from its state (no database change).
3. Their tables (and the one index named after the old table) take this app's names: a rename,
   so every row, foreign key and index stays.
4. Their content types follow, and with them permissions and admin history.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("outboxevent", "webhookevent", "outgoingemail")


def _content_types_move(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not content_types.filter(app_label=new, model=model).exists():
            content_types.filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor):
    _content_types_move(apps, schema_editor, old="executions", new="integrations")


def content_types_backward(apps, schema_editor):
    _content_types_move(apps, schema_editor, old="integrations", new="executions")


class Migration(migrations.Migration):
    dependencies = [
        ("chatbots", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("executions", "0006_session_debug_logging_and_save_results"),
        ("integrations", "0002_templates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEvent",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("type", models.CharField(max_length=40)),
                        ("data", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("dispatched_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "chatbot",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outbox_events",
                                to="chatbots.chatbot",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["created_at"],
                        "db_table": "executions_outboxevent",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("dispatched_at__isnull", True)),
                                fields=["created_at"],
                                name="outbox_undispatched",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="WebhookEvent",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("event_type", models.CharField(max_length=40)),
                        ("payload", models.JSONField()),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("delivered", "Delivered"),
                                    ("dead", "Dead (retries exhausted)"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        ("claim_token", models.UUIDField(blank=True, null=True)),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                        ("last_status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "chatbot",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="webhook_deliveries",
                                to="chatbots.chatbot",
                            ),
                        ),
                        (
                            "event",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="deliveries",
                                to="integrations.outboxevent",
                            ),
                        ),
                        (
                            "integration",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="integrations.integration",
                            ),
                        ),
                        (
                            "webhook",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="integrations.webhook",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "executions_webhookevent",
                        "indexes": [
                            models.Index(fields=["status", "next_attempt_at"], name="executions__status_5f9719_idx")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("node_id", models.CharField(blank=True, default="", max_length=100)),
                        ("to", models.JSONField(default=list)),
                        ("subject", models.CharField(blank=True, default="", max_length=500)),
                        ("body", models.TextField(blank=True, default="")),
                        ("reply_to", models.CharField(blank=True, default="", max_length=320)),
                        (
                            "status",
                            models.CharField(
                                choices=[("pending", "Pending"), ("sent", "Sent"), ("dead", "Dead (retries exhausted)")],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        ("claim_token", models.UUIDField(blank=True, null=True)),
                        ("locked_until", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.CharField(blank=True, default="", max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emails",
                                to="executions.chatsession",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "db_table": "executions_outgoingemail",
                        "indexes": [models.Index(fields=["status", "next_attempt_at"], name="outgoingemail_due")],
                    },
                ),
                migrations.AlterField(
                    model_name="integrationlog",
                    name="delivery",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="logs",
                        to="integrations.webhookevent",
                    ),
                ),
            ],
        ),
        migrations.AlterModelTable(name="outboxevent", table=None),
        migrations.AlterModelTable(name="webhookevent", table=None),
        migrations.AlterModelTable(name="outgoingemail", table=None),
        migrations.RenameIndex(
            model_name="webhookevent",
            new_name="integration_status_b7ae4d_idx",
            old_name="executions__status_5f9719_idx",
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
