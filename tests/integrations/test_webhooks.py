import json
from datetime import timedelta

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import pytest
from werkzeug import Response

import components.services
from integrations import delivery as webhooks
from integrations.crypto import secret_decrypt
from integrations.models import IntegrationLog, OutboxEvent, Webhook, WebhookEvent
from integrations.signing import signature_verify
from tests.executions.test_results_and_analytics import play
from tests.factories import published_bot

pytestmark = pytest.mark.django_db

URL = "/api/integrations/webhooks/"


@pytest.fixture
def bot(user):
    return published_bot(owner=user)


def _create(client, target, **body):
    payload = {"url": target.url_for("/hook"), "events": ["session.completed", "input.received"], **body}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_returns_the_secret_once_and_stores_it_encrypted(auth_client, target):
    body = _create(auth_client, target, name="CRM")
    assert body["secret"].startswith("whsec_")
    assert set(body) == {"id", "name", "url", "events", "chatbot", "is_active", "created_at", "updated_at", "secret"}
    assert "secret" not in auth_client.get(f"{URL}{body['id']}/").json()
    assert all("secret" not in item for item in auth_client.get(URL).json()["results"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_encrypted FROM integrations_webhook")
        (raw,) = cursor.fetchone()
    assert body["secret"] not in raw
    assert secret_decrypt(raw) == body["secret"]


def test_rotate_secret_returns_a_new_one(auth_client, target):
    body = _create(auth_client, target)
    rotated = auth_client.post(f"{URL}{body['id']}/rotate-secret/").json()["secret"]
    assert rotated != body["secret"]
    assert secret_decrypt(Webhook.objects.get().secret_encrypted) == rotated


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "http://127.0.0.1:9/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://localhost/hook"}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"events": ["session.exploded"]}, "events"),
        ({"events": []}, "events"),
    ],
)
def test_create_refuses_unsafe_urls_and_unknown_events(auth_client, target, change, field):
    body = {"url": target.url_for("/hook"), "events": ["session.completed"], **change}
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Webhook.objects.exists()


def test_webhook_for_another_users_chatbot_is_refused(auth_client, target, other_user):
    foreign = published_bot(owner=other_user)
    response = auth_client.post(
        URL, {"url": target.url_for("/h"), "events": ["session.started"], "chatbot": foreign.pk}, format="json"
    )
    assert response.status_code == 400


def test_events_are_delivered_signed_after_the_turn_not_during_it(auth_client, api_client, target, bot):
    hook = _create(auth_client, target, chatbot=bot.pk)
    target.expect_request("/hook", method="POST").respond_with_data("ok")
    session_id = play(api_client, bot, ["Ana", "ana@example.com", "yes"])
    assert target.log == []  # nothing is sent inside a chat turn
    assert OutboxEvent.objects.exclude(type="chatbot.published").count() == 5  # started, 3 inputs, completed
    made = webhooks.deliver_due()
    assert made == 4  # started is not subscribed
    received = [(json.loads(request.data), request.headers) for request, _ in target.log]
    types = [payload["type"] for payload, _ in received]
    assert types.count("input.received") == 3 and types.count("session.completed") == 1
    payload, headers = next(r for r in received if r[0]["type"] == "session.completed")
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["data"]["session_id"] == session_id
    assert payload["data"]["variables"]["email"] == "ana@example.com"
    assert headers["X-Webhook-Event"] == "session.completed"
    delivery = WebhookEvent.objects.get(event_type="session.completed")
    assert headers["X-Webhook-Id"] == str(delivery.pk)
    raw = next(req.data for req, _ in target.log if json.loads(req.data)["type"] == "session.completed")
    assert signature_verify(hook["secret"], raw, headers["X-Signature"])
    assert not signature_verify("wrong-secret", raw, headers["X-Signature"])
    assert WebhookEvent.objects.filter(status="delivered").count() == 4
    assert IntegrationLog.objects.filter(kind="delivery", success=True).count() == 4
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_only_matching_active_subscriptions_get_deliveries(auth_client, api_client, target, bot, user):
    other_bot = published_bot(owner=user)
    _create(auth_client, target, chatbot=other_bot.pk, events=["session.started"])
    inactive = _create(auth_client, target, events=["session.started"])
    auth_client.patch(f"{URL}{inactive['id']}/", {"is_active": False}, format="json")
    everywhere = _create(auth_client, target, events=["session.started"])
    play(api_client, bot, [])
    webhooks.outbox_dispatch()
    assert list(WebhookEvent.objects.values_list("webhook_id", flat=True)) == [everywhere["id"]]


def test_a_chatbot_nobody_subscribes_to_writes_no_events(api_client, bot):
    play(api_client, bot, ["Ana", "ana@example.com", "yes"])
    components.services.chatbot_publish(bot, user=bot.owner)
    assert not OutboxEvent.objects.exists()
    webhooks.outbox_dispatch()
    assert not WebhookEvent.objects.exists()


def _events_of_one_chat(api_client, bot) -> set[str]:
    OutboxEvent.objects.all().delete()
    play(api_client, bot, ["Ana"])
    return set(OutboxEvent.objects.values_list("type", flat=True))


def test_events_are_written_only_while_an_active_subscription_covers_the_chatbot(
    auth_client, api_client, target, bot, user, other_user
):
    other_bot = published_bot(owner=user)
    _create(auth_client, target, chatbot=other_bot.pk)
    Webhook.objects.create(owner=other_user, url=target.url_for("/x"), events=["input.received"], secret_encrypted="")
    assert _events_of_one_chat(api_client, bot) == set()  # another bot's, another owner's

    everywhere = _create(auth_client, target, events=["session.completed"])
    assert _events_of_one_chat(api_client, bot) == {"session.started", "input.received"}

    auth_client.patch(f"{URL}{everywhere['id']}/", {"is_active": False}, format="json")
    assert _events_of_one_chat(api_client, bot) == set()

    auth_client.post(
        "/api/integrations/",
        {"name": "Team", "template": "slack", "config": {"url": target.url_for("/s")}, "events": ["session.started"]},
        format="json",
    )
    assert _events_of_one_chat(api_client, bot) == {"session.started", "input.received"}


def test_a_subscription_made_during_a_chat_gets_the_rest_of_it(auth_client, api_client, target, bot):
    session_id = play(api_client, bot, ["Ana"])
    assert not OutboxEvent.objects.exists()
    _create(auth_client, target, chatbot=bot.pk)
    for value in ("ana@example.com", "yes"):
        api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json")
    assert sorted(OutboxEvent.objects.values_list("type", flat=True)) == [
        "input.received",
        "input.received",
        "session.completed",
    ]


def test_publishing_writes_its_event_only_for_subscribed_chatbots(auth_client, target, bot):
    components.services.chatbot_publish(bot, user=bot.owner)
    assert not OutboxEvent.objects.exists()
    _create(auth_client, target, chatbot=bot.pk, events=["chatbot.published"])
    components.services.chatbot_publish(bot, user=bot.owner)
    assert list(OutboxEvent.objects.values_list("type", flat=True)) == ["chatbot.published"]


def test_failing_target_is_retried_with_backoff_until_it_succeeds(auth_client, api_client, target, bot, settings):
    settings.WEBHOOK_RETRY_DELAYS = [60, 300]
    _create(auth_client, target, events=["session.started"])
    target.expect_ordered_request("/hook").respond_with_data("down", status=500)
    target.expect_ordered_request("/hook").respond_with_data("still down", status=503)
    target.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    play(api_client, bot, [])
    webhooks.deliver_due()
    delivery = WebhookEvent.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert 55 <= (delivery.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert webhooks.deliver_due() == 0  # not due yet
    WebhookEvent.objects.update(next_attempt_at=timezone.now())
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert 295 <= (delivery.next_attempt_at - timezone.now()).total_seconds() <= 300
    WebhookEvent.objects.update(next_attempt_at=timezone.now())
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    logs = list(IntegrationLog.objects.order_by("created_at", "id").values_list("status_code", "success"))
    assert logs == [(500, False), (503, False), (200, True)]
    assert IntegrationLog.objects.first().response_excerpt in ("down", "still down", "ok")


def test_delivery_dies_after_the_last_retry_and_retry_requeues_it(auth_client, api_client, target, bot, fast_retries):
    _create(auth_client, target, events=["session.started"])
    target.expect_request("/hook").respond_with_data("nope", status=500)
    play(api_client, bot, [])
    for _ in range(4):
        webhooks.deliver_due()
    delivery = WebhookEvent.objects.get()
    assert (delivery.status, delivery.attempts) == ("dead", 4)
    listing = auth_client.get("/api/executions/webhooks/").json()["results"]
    assert listing[0]["status"] == "dead" and listing[0]["attempts"] == 4
    assert listing[0]["target"] == target.url_for("/hook")
    retried = auth_client.post(f"/api/executions/webhooks/{delivery.pk}/retry/")
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    target.clear()
    target.expect_request("/hook").respond_with_data("ok")
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_refused_target_counts_as_a_failed_attempt(auth_client, api_client, target, bot, settings):
    _create(auth_client, target, events=["session.started"])
    settings.OUTBOUND_ALLOWED_HOSTS = []  # the target is loopback: now refused by the guard
    play(api_client, bot, [])
    webhooks.deliver_due()
    delivery = WebhookEvent.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "Blocked" in delivery.last_error
    assert target.log == []


def test_a_worker_killed_mid_delivery_loses_nothing(auth_client, api_client, target, bot):
    _create(auth_client, target, events=["session.started"])
    target.expect_request("/hook").respond_with_data("ok")
    play(api_client, bot, [])
    webhooks.outbox_dispatch()
    claimed = webhooks.deliveries_claim()
    assert len(claimed) == 1  # worker A claims … and dies before sending
    assert webhooks.deliveries_claim() == []  # worker B cannot take it while A's lease runs
    assert webhooks.deliver_due() == 0
    WebhookEvent.objects.update(locked_until=timezone.now() - timedelta(seconds=1))  # the lease runs out
    assert webhooks.deliver_due() == 1
    assert WebhookEvent.objects.get().status == "delivered"
    assert len(target.log) == 1
    # A's late attempt with its stale claim changes nothing and sends nothing.
    assert webhooks.delivery_attempt(*claimed[0]) is None
    assert len(target.log) == 1


def test_publishing_emits_chatbot_published(auth_client, target, bot):
    _create(auth_client, target, events=["chatbot.published"])
    target.expect_request("/hook").respond_with_data("ok")
    auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {"changelog": "v2"}, format="json")
    webhooks.deliver_due()
    payload = json.loads(target.log[0][0].data)
    assert payload["type"] == "chatbot.published"
    assert payload["data"] == {"chatbot_id": bot.pk, "version": 2, "changelog": "v2"}


def test_deliver_webhooks_command_once(auth_client, api_client, target, bot):
    _create(auth_client, target, events=["session.started"])
    target.expect_request("/hook").respond_with_data("ok")
    play(api_client, bot, [])
    call_command("deliver_webhooks", "--once")
    assert WebhookEvent.objects.get().status == "delivered"


def test_celery_task_delivers_due_webhooks(auth_client, api_client, target, bot):
    from integrations.tasks import deliver_due_webhooks

    _create(auth_client, target, events=["session.started"])
    target.expect_request("/hook").respond_with_data("ok")
    play(api_client, bot, [])
    assert deliver_due_webhooks.apply().get() == 1
    assert WebhookEvent.objects.get().status == "delivered"


def test_test_action_sends_a_signed_sample(auth_client, target):
    hook = _create(auth_client, target)
    target.expect_request("/hook").respond_with_data("thanks", status=202)
    result = auth_client.post(f"{URL}{hook['id']}/test/").json()
    assert result["success"] is True and result["status_code"] == 202
    request = target.log[0][0]
    assert signature_verify(hook["secret"], request.data, request.headers["X-Signature"])
    assert IntegrationLog.objects.get().kind == "test"


def test_test_webhook_endpoint_reports_status_and_timing(auth_client, target):
    target.expect_request("/any").respond_with_response(Response("no", status=404))
    body = {"url": target.url_for("/any"), "secret": "s3cret", "event": "input.received"}
    result = auth_client.post("/api/integrations/test-webhook/", body, format="json").json()
    assert result["success"] is False and result["status_code"] == 404
    assert result["duration_ms"] >= 0
    blocked = auth_client.post("/api/integrations/test-webhook/", {"url": "http://10.0.0.1/x"}, format="json")
    assert blocked.status_code == 400


def test_other_users_see_none_of_it(auth_client, other_client, api_client, target, bot):
    hook = _create(auth_client, target, events=["session.started"])
    play(api_client, bot, [])
    webhooks.outbox_dispatch()
    delivery = WebhookEvent.objects.get()
    assert other_client.get(f"{URL}{hook['id']}/").status_code == 404
    assert other_client.post(f"{URL}{hook['id']}/rotate-secret/").status_code == 404
    assert other_client.post(f"{URL}{hook['id']}/test/").status_code == 404
    assert other_client.delete(f"{URL}{hook['id']}/").status_code == 404
    assert other_client.get("/api/executions/webhooks/").json()["count"] == 0
    assert other_client.post(f"/api/executions/webhooks/{delivery.pk}/retry/").status_code == 404
    assert other_client.get("/api/integrations/logs/").json()["count"] == 0
