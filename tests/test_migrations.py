"""Migrations that move models between apps keep every row: the outbox, its deliveries and
queued emails left executions for integrations (integrations 0003, executions 0007). Starts from
the schema before the move with data in it, migrates forward, back and forward again."""

from datetime import timedelta

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [
    ("executions", "0006_session_debug_logging_and_save_results"),
    ("integrations", "0002_templates"),
]
MOVED = ("outboxevent", "webhookevent", "outgoingemail")


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _seed(apps) -> dict:
    """A bot with a chat, an event with its delivery (and the log of its attempt), and an email,
    made with the models as they were before the move."""
    user = apps.get_model("authentication", "User").objects.create(username="ana", password="!")
    bot = apps.get_model("chatbots", "Chatbot").objects.create(owner=user, name="Leads")
    session = apps.get_model("executions", "ChatSession").objects.create(chatbot=bot)
    webhook = apps.get_model("integrations", "Webhook").objects.create(
        owner=user, url="https://hooks.example.com/x", events=["session.started"], secret_encrypted="x"
    )
    now = timezone.now()
    event = apps.get_model("executions", "OutboxEvent").objects.create(
        chatbot=bot, type="session.started", data={"session_id": str(session.pk)}, dispatched_at=now
    )
    delivery = apps.get_model("executions", "WebhookEvent").objects.create(
        event=event,
        chatbot=bot,
        webhook=webhook,
        event_type="session.started",
        payload={"id": str(event.pk)},
        status="pending",
        attempts=2,
        next_attempt_at=now + timedelta(minutes=5),
        last_status_code=503,
    )
    log = apps.get_model("integrations", "IntegrationLog").objects.create(
        owner=user, kind="delivery", webhook=webhook, delivery=delivery, url=webhook.url, status_code=503
    )
    email = apps.get_model("executions", "OutgoingEmail").objects.create(
        session=session, node_id="mail", to=["team@example.com"], subject="New lead", next_attempt_at=now
    )
    return {"bot": bot.pk, "event": event.pk, "delivery": delivery.pk, "log": log.pk, "email": email.pk}


def _check_rows(ids: dict, *, app: str, at) -> None:
    """The seeded rows, read through the models of `app` as migrations `at` leave them."""
    apps = MigrationExecutor(connection).loader.project_state(at).apps
    event = apps.get_model(app, "OutboxEvent").objects.get(pk=ids["event"])
    delivery = apps.get_model(app, "WebhookEvent").objects.get(pk=ids["delivery"])
    email = apps.get_model(app, "OutgoingEmail").objects.get(pk=ids["email"])
    assert (event.type, event.chatbot_id, event.dispatched_at is not None) == ("session.started", ids["bot"], True)
    assert (delivery.event_id, delivery.attempts, delivery.last_status_code) == (ids["event"], 2, 503)
    assert delivery.payload == {"id": str(ids["event"])}
    assert (email.subject, email.to, email.status) == ("New lead", ["team@example.com"], "pending")
    log = apps.get_model("integrations", "IntegrationLog").objects.get(pk=ids["log"])
    assert log.delivery_id == ids["delivery"]


def test_the_outbox_deliveries_and_emails_move_to_integrations_with_every_row():
    latest = _latest()
    try:
        _migrate(BEFORE_THE_MOVE)
        apps = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE).apps
        ids = _seed(apps)

        _migrate(latest)
        from django.contrib.contenttypes.models import ContentType

        from integrations.models import IntegrationLog, OutboxEvent, OutgoingEmail, WebhookEvent

        assert OutboxEvent.objects.get(pk=ids["event"]).deliveries.get().pk == ids["delivery"]
        assert WebhookEvent.objects.get(pk=ids["delivery"]).logs.get().pk == ids["log"]
        assert IntegrationLog.objects.get(pk=ids["log"]).delivery.webhook.url == "https://hooks.example.com/x"
        assert OutgoingEmail.objects.get(pk=ids["email"]).session.chatbot_id == ids["bot"]
        tables = set(connection.introspection.table_names())
        assert {f"integrations_{model}" for model in MOVED} <= tables
        assert not {f"executions_{model}" for model in MOVED} & tables
        assert {ct.app_label for ct in ContentType.objects.filter(model__in=MOVED)} <= {"integrations"}

        # And back: the rows return to executions' tables, then forward again.
        _migrate(BEFORE_THE_MOVE)
        _check_rows(ids, app="executions", at=BEFORE_THE_MOVE)
        _migrate(latest)
        _check_rows(ids, app="integrations", at=latest)

        # The foreign keys still hold after the renames: deleting the bot takes its rows along.
        from chatbots.models import Chatbot

        Chatbot.objects.filter(pk=ids["bot"]).delete()
        assert not OutboxEvent.objects.exists() and not WebhookEvent.objects.exists()
        assert not OutgoingEmail.objects.exists()
        assert IntegrationLog.objects.get(pk=ids["log"]).delivery_id is None
    finally:
        _migrate(latest)


def test_the_moved_models_need_no_migration_beyond_the_move():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
