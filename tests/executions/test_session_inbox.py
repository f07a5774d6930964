"""The owner's side of sessions: flow runs, finishing a session, and which visitor messages
the owner has read."""

import json
from datetime import timedelta

from django.utils import timezone

import pytest

from executions.models import ChatMessage
from flows.models import FlowExecution
from integrations import delivery as webhooks
from integrations.models import OutboxEvent
from tests.executions.test_results_and_analytics import play
from tests.factories import ChatbotFactory, linked_flows_bot, published_bot

pytestmark = pytest.mark.django_db

SESSIONS = "/api/executions/sessions/"


@pytest.fixture
def bot(user):
    return published_bot(owner=user)


@pytest.fixture
def linked_bot(user):
    return linked_flows_bot(user)


def _runs_url(bot, flow_id) -> str:
    return f"/api/chatbots/{bot.pk}/flows/{flow_id}/executions/"


# --- Flow executions ------------------------------------------------------------------------


def test_a_flows_runs_are_listed_filtered_and_shown_with_their_session(auth_client, api_client, linked_bot):
    done = play(api_client, linked_bot, ["ana@example.com"])
    running = play(api_client, linked_bot, [])
    sub_runs = auth_client.get(_runs_url(linked_bot, linked_bot.sub_flow.pk))
    assert sub_runs.status_code == 200
    body = sub_runs.json()
    assert body["count"] == 2
    assert [run["status"] for run in body["results"]] == ["running", "finished"]  # newest first
    assert {run["flow"] for run in body["results"]} == {linked_bot.sub_flow.pk}
    assert body["results"][0]["flow_name"] == "Ask email"
    assert body["results"][0]["duration"] is None and body["results"][1]["duration"] >= 0

    finished = auth_client.get(_runs_url(linked_bot, linked_bot.sub_flow.pk), {"status": "finished"}).json()
    assert finished["count"] == 1
    detail = auth_client.get(f"{_runs_url(linked_bot, linked_bot.sub_flow.pk)}{finished['results'][0]['id']}/").json()
    assert detail["session"]["id"] == done
    assert detail["session"]["status"] == "completed"
    assert detail["session"]["version"] == 1
    assert detail["session"]["is_preview"] is False

    main_runs = auth_client.get(_runs_url(linked_bot, linked_bot.main_flow_id), {"session": running}).json()
    assert [run["status"] for run in main_runs["results"]] == ["running"]
    future = (timezone.now() + timedelta(minutes=5)).isoformat()
    assert (
        auth_client.get(_runs_url(linked_bot, linked_bot.main_flow_id), {"started_after": future}).json()["count"] == 0
    )
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    assert auth_client.get(_runs_url(linked_bot, linked_bot.main_flow_id), {"started_after": past}).json()["count"] == 2
    assert auth_client.get(_runs_url(linked_bot, linked_bot.main_flow_id), {"started_after": "soon"}).status_code == 400
    assert auth_client.get(_runs_url(linked_bot, linked_bot.main_flow_id), {"status": "asleep"}).status_code == 400


def test_flow_runs_are_read_only_and_their_owners_alone(auth_client, other_client, api_client, linked_bot, user):
    play(api_client, linked_bot, [])
    url = _runs_url(linked_bot, linked_bot.main_flow_id)
    run_id = auth_client.get(url).json()["results"][0]["id"]
    assert auth_client.post(url, {}, format="json").status_code == 405
    assert auth_client.delete(f"{url}{run_id}/").status_code == 405
    assert other_client.get(url).status_code == 404
    assert other_client.get(f"{url}{run_id}/").status_code == 404
    # A flow named under another of the owner's bots is not this bot's flow.
    elsewhere = ChatbotFactory(owner=user)
    assert auth_client.get(_runs_url(elsewhere, linked_bot.main_flow_id)).status_code == 404
    assert auth_client.get(f"{_runs_url(linked_bot, linked_bot.sub_flow.pk)}{run_id}/").status_code == 404


def test_the_owners_session_detail_lists_its_flow_runs_in_order(auth_client, api_client, linked_bot):
    session_id = play(api_client, linked_bot, ["ana@example.com"])
    detail = auth_client.get(f"{SESSIONS}{session_id}/").json()
    assert [(run["flow"], run["flow_name"], run["status"]) for run in detail["flow_executions"]] == [
        (linked_bot.main_flow_id, "Main flow", "finished"),
        (linked_bot.sub_flow.pk, "Ask email", "finished"),
    ]


# --- Finishing a session ------------------------------------------------------------------------


def test_finishing_a_session_closes_its_running_flows(auth_client, api_client, linked_bot):
    session_id = play(api_client, linked_bot, [])
    assert set(FlowExecution.objects.values_list("status", flat=True)) == {"running"}
    response = auth_client.post(f"{SESSIONS}{session_id}/finish/")
    assert response.status_code == 200
    runs = response.json()["flow_executions"]
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert all(run["ended_at"] for run in runs)
    assert not FlowExecution.objects.filter(status="running").exists()


def test_finishing_a_session_sends_session_completed_as_a_completed_chat_does(auth_client, api_client, bot, target):
    hook = auth_client.post(
        "/api/integrations/webhooks/",
        {"url": target.url_for("/hook"), "events": ["session.completed"], "chatbot": bot.pk},
        format="json",
    ).json()
    target.expect_request("/hook", method="POST").respond_with_data("ok")
    session_id = play(api_client, bot, ["Ana"])
    assert not OutboxEvent.objects.filter(type="session.completed").exists()
    assert auth_client.post(f"{SESSIONS}{session_id}/finish/").status_code == 200
    event = OutboxEvent.objects.get(type="session.completed")
    assert event.data == {"session_id": session_id, "variables": {"name": "Ana", "email": None, "news": None}}
    assert webhooks.deliver_due() == 1
    (request, _), *_ = target.log
    payload = json.loads(request.data)
    assert (payload["type"], payload["data"]["session_id"]) == ("session.completed", session_id)
    assert hook["id"]


def test_finishing_a_session_nobody_listens_to_or_a_preview_writes_no_event(auth_client, api_client, bot, target):
    session_id = play(api_client, bot, ["Ana"])
    assert auth_client.post(f"{SESSIONS}{session_id}/finish/").status_code == 200
    auth_client.post(
        "/api/integrations/webhooks/", {"url": target.url_for("/h"), "events": ["session.completed"]}, format="json"
    )
    preview = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json").json()["session_id"]
    assert auth_client.post(f"{SESSIONS}{preview}/finish/").status_code == 200
    assert not OutboxEvent.objects.filter(type="session.completed").exists()


@pytest.fixture
def target(httpserver, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [f"localhost:{httpserver.port}", f"127.0.0.1:{httpserver.port}"]
    return httpserver


# --- Read status -----------------------------------------------------------------------------------


def test_reading_the_transcript_marks_the_visitors_messages_read(auth_client, api_client, bot):
    session_id = play(api_client, bot, ["Ana", "ana@example.com"])
    listed = auth_client.get(SESSIONS).json()["results"]
    assert listed[0]["unread_count"] == 2
    assert auth_client.get(f"{SESSIONS}{session_id}/").json()["unread_count"] == 2  # the detail reads nothing

    transcript = auth_client.get(f"{SESSIONS}{session_id}/transcript/", {"page_size": 100})
    assert transcript.status_code == 200
    messages = transcript.json()["results"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert all(m["read_at"] for m in messages if m["sender"] == "user")
    assert not any(m["read_at"] for m in messages if m["sender"] == "bot")
    assert auth_client.get(SESSIONS).json()["results"][0]["unread_count"] == 0

    api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": "no"}, format="json")
    assert auth_client.get(SESSIONS).json()["results"][0]["unread_count"] == 1
    first_read = ChatMessage.objects.filter(session_id=session_id, sender="user").order_by("seq").first().read_at
    auth_client.get(f"{SESSIONS}{session_id}/transcript/")
    assert ChatMessage.objects.filter(session_id=session_id, sender="user", read_at__isnull=True).count() == 0
    # Already-read messages keep the time they were first read.
    assert ChatMessage.objects.filter(session_id=session_id, sender="user").order_by("seq").first().read_at == (
        first_read
    )


def test_the_session_list_filters_unread_sessions(auth_client, api_client, bot):
    unread = play(api_client, bot, ["Ana"])
    read = play(api_client, bot, ["Bo"])
    silent = play(api_client, bot, [])
    auth_client.get(f"{SESSIONS}{read}/transcript/")
    preview = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json").json()["session_id"]
    auth_client.post(f"/api/flows/public/sessions/{preview}/reply/", {"value": "Me"}, format="json")

    def ids(**params):
        return {s["id"] for s in auth_client.get(SESSIONS, params).json()["results"]}

    assert ids(unread="true") == {unread}
    assert ids(unread="false") == {read, silent, preview}
    assert ids() == {unread, read, silent, preview}
    assert auth_client.get(SESSIONS, {"unread": "maybe"}).status_code == 400
    counts = {s["id"]: s["unread_count"] for s in auth_client.get(SESSIONS).json()["results"]}
    assert counts == {unread: 1, read: 0, silent: 0, preview: 0}


def test_only_the_owner_can_read_a_transcript(other_client, api_client, bot):
    session_id = play(api_client, bot, ["Ana"])
    assert other_client.get(f"{SESSIONS}{session_id}/transcript/").status_code == 404
    assert ChatMessage.objects.filter(session_id=session_id, read_at__isnull=False).count() == 0
