"""The outbox, its deliveries and queued emails now belong to integrations (its migration 0003
took them over, rows and tables): they leave this app's state, and nothing changes in the
database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0006_session_debug_logging_and_save_results"),
        ("integrations", "0003_outbox_and_deliveries_move_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookEvent"),
                migrations.DeleteModel(name="OutboxEvent"),
                migrations.DeleteModel(name="OutgoingEmail"),
            ],
        ),
    ]
