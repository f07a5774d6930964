"""With Celery delivering and its broker (Redis) down, the actions that ask for a delivery run
at once still succeed: the run is left to beat, and no event is lost."""

import contextlib
import logging
import time

import pytest

from config.celery import app as celery_app
from integrations.models import OutboxEvent
from tests.factories import published_bot

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def _broker(url: str):
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        celery_app.conf.broker_url = original


@pytest.fixture
def broker_down(settings, closed_port):
    settings.WEBHOOK_DELIVERY = "celery"
    with _broker(f"redis://127.0.0.1:{closed_port}/0"):
        yield


@pytest.mark.usefixtures("broker_down")
def test_publishing_with_the_broker_down_succeeds_and_keeps_the_event(auth_client, user, target, caplog):
    caplog.set_level(logging.WARNING, logger="integrations.worker")
    bot = published_bot(owner=user)
    hook = {"url": target.url_for("/hook"), "events": ["chatbot.published"], "chatbot": bot.pk}
    assert auth_client.post("/api/integrations/webhooks/", hook, format="json").status_code == 201

    began = time.monotonic()
    response = auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {"changelog": "v2"}, format="json")
    assert time.monotonic() - began < 5.0
    assert response.status_code == 201, response.content
    assert OutboxEvent.objects.filter(type="chatbot.published").exists()
    assert [r for r in caplog.records if "Could not queue a webhook delivery run" in r.getMessage()]


def test_publishing_queues_a_delivery_run_at_once_while_the_broker_answers(auth_client, user, target, settings):
    settings.WEBHOOK_DELIVERY = "celery"
    bot = published_bot(owner=user)
    hook = {"url": target.url_for("/hook"), "events": ["chatbot.published"], "chatbot": bot.pk}
    assert auth_client.post("/api/integrations/webhooks/", hook, format="json").status_code == 201
    with _broker("memory://"):
        response = auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {"changelog": "v2"}, format="json")
        assert response.status_code == 201
        with celery_app.connection_for_read() as connection:
            queue = connection.SimpleQueue("celery")
            message = queue.get(timeout=1)
            message.ack()
            queue.close()
    assert message.headers["task"] == "integrations.tasks.deliver_due_webhooks"
