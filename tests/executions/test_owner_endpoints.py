import json
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

import pytest

from executions.models import ChatMessage, ChatSession
from tests.executions.test_results_and_analytics import play
from tests.factories import ChatbotFactory, edge, node, published_bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(user):
    return published_bot(owner=user)


def test_sessions_list_filter_and_detail(auth_client, api_client, bot, user):
    done = play(api_client, bot, ["Ana", "a@example.com", "no"])
    open_one = play(api_client, bot, ["Bo"])
    other_bot = published_bot(owner=user)
    play(api_client, other_bot, [])
    assert auth_client.get("/api/executions/sessions/").json()["count"] == 3
    by_bot = auth_client.get("/api/executions/sessions/", {"chatbot": bot.pk}).json()
    assert {s["id"] for s in by_bot["results"]} == {done, open_one}
    completed = auth_client.get("/api/executions/sessions/", {"status": "completed"}).json()["results"]
    assert [s["id"] for s in completed] == [done]
    detail = auth_client.get(f"/api/executions/sessions/{done}/").json()
    assert detail["variables"]["name"] == "Ana"
    assert detail["version"] == 1
    assert detail["chatbot_name"] == bot.name
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert auth_client.get("/api/executions/sessions/", {"started_after": future}).json()["count"] == 0
    assert auth_client.get("/api/executions/sessions/", {"started_after": "nope"}).status_code == 400
    assert auth_client.get("/api/executions/sessions/not-a-uuid/").status_code == 404


def test_finish_closes_an_active_session(auth_client, api_client, bot):
    session_id = play(api_client, bot, ["Ana"])
    response = auth_client.post(f"/api/executions/sessions/{session_id}/finish/")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert auth_client.post(f"/api/executions/sessions/{session_id}/finish/").status_code == 409
    reply = api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": "x"}, format="json")
    assert reply.status_code == 409


def test_session_stats(auth_client, api_client, bot):
    play(api_client, bot, ["Ana", "a@example.com", "no"])
    play(api_client, bot, ["Bo"])
    stats = auth_client.get("/api/executions/sessions/stats/", {"chatbot": bot.pk}).json()
    assert stats["total"] == 2
    assert stats["completed"] == 1 and stats["active"] == 1
    assert stats["completion_rate"] == 0.5
    assert stats["messages"] == ChatMessage.objects.count()


def test_messages_logs_and_inputs(auth_client, api_client, bot):
    session_id = play(api_client, bot, ["Ana", "bad-email"])
    messages = auth_client.get("/api/executions/messages/", {"session": session_id, "page_size": 50}).json()
    assert [m["seq"] for m in messages["results"]] == list(range(1, messages["count"] + 1))
    inputs = auth_client.get("/api/executions/inputs/", {"session": session_id}).json()["results"]
    assert {(i["node_id"], i["is_valid"]) for i in inputs} == {("name", True), ("email", False)}
    assert auth_client.get("/api/executions/inputs/", {"is_valid": "false"}).json()["count"] == 1
    assert auth_client.get("/api/executions/logs/").status_code == 200


def test_logs_record_runner_errors(auth_client, api_client, user, settings):
    settings.RUNNER_MAX_STEPS = 5
    graph = {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", variable="x"),
            node("a", "set_variable", variable="x", operation="value", value="1"),
            node("c", "condition", branches=[{"id": "b", "rules": [{"variable": "x", "operator": "is_set"}]}]),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "ask"),
            edge("ask", "a"),
            edge("a", "c"),
            edge("c", "a", "b"),
            edge("c", "end", "else"),
        ],
        "variables": [{"name": "x"}],
    }
    session_id = play(api_client, published_bot(owner=user, graph=graph), ["go"])
    logs = auth_client.get("/api/executions/logs/", {"session": session_id, "level": "error"}).json()["results"]
    assert len(logs) == 1


def test_dashboard_totals(auth_client, api_client, bot, user):
    play(api_client, bot, ["Ana", "a@example.com", "no"])
    play(api_client, bot, [])
    quiet = ChatbotFactory(owner=user)
    body = auth_client.get("/api/executions/dashboard/").json()
    assert body["sessions"] == {"today": 2, "last_7_days": 2, "last_30_days": 2, "total": 2}
    assert body["completion_rate"] == 0.5
    assert body["chatbots"] == 2
    assert body["busiest_chatbots"] == [{"id": bot.pk, "name": bot.name, "sessions_30d": 2}]
    assert quiet.pk not in [b["id"] for b in body["busiest_chatbots"]]
    assert auth_client.get("/api/auth/stats/").json()["sessions"] == 2


def test_preview_runs_the_draft_and_stays_out_of_results(auth_client, bot):
    response = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {"variables": {"name": "Pre"}}, format="json")
    assert response.status_code == 201
    turn = response.json()
    session = ChatSession.objects.get(pk=turn["session_id"])
    assert session.is_preview and session.version is None
    reply = auth_client.post(f"/api/flows/public/sessions/{session.pk}/reply/", {"value": "Ana"}, format="json")
    assert reply.status_code == 200
    assert auth_client.get(f"/api/chatbots/{bot.pk}/results/").json()["count"] == 0
    assert auth_client.get(f"/api/chatbots/{bot.pk}/analytics/").json()["starts"] == 0


def test_preview_of_an_invalid_draft_is_400(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    auth_client.put(
        f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/",
        {
            "nodes": [node("start", "start"), node("m", "message", text="{{ghost}}")],
            "edges": [edge("start", "m")],
            "variables": [],
        },
        format="json",
    )
    response = auth_client.post(f"/api/chatbots/{chatbot.pk}/preview/", {}, format="json")
    assert response.status_code == 400
    assert response.json()[0]["code"] == "undefined_variable"


def test_owner_endpoints_hide_other_users_sessions(other_client, api_client, bot):
    session_id = play(api_client, bot, ["Ana"])
    assert other_client.get("/api/executions/sessions/").json()["count"] == 0
    assert other_client.get(f"/api/executions/sessions/{session_id}/").status_code == 404
    assert other_client.post(f"/api/executions/sessions/{session_id}/finish/").status_code == 404
    assert other_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json").status_code == 404
    for url in ("messages", "logs", "inputs"):
        assert other_client.get(f"/api/executions/{url}/").json()["count"] == 0
    message = ChatMessage.objects.filter(session_id=session_id).first()
    assert other_client.get(f"/api/executions/messages/{message.pk}/").status_code == 404
    assert ChatSession.objects.get(pk=session_id).status == "active"


def test_cleanup_command_expires_idle_and_archives_old_sessions(api_client, bot, tmp_path):
    idle = play(api_client, bot, ["Ana"])
    old = play(api_client, bot, ["Bo", "b@example.com", "no"])
    fresh = play(api_client, bot, ["Cy", "c@example.com", "no"])
    ChatSession.objects.filter(pk=idle).update(last_activity_at=timezone.now() - timedelta(days=2))
    ChatSession.objects.filter(pk=old).update(started_at=timezone.now() - timedelta(days=100))
    archive = tmp_path / "archive.jsonl"
    call_command("cleanup_sessions", "--older-than-days", "90", "--archive", str(archive))
    assert ChatSession.objects.get(pk=idle).status == "expired"
    assert not ChatSession.objects.filter(pk=old).exists()
    assert ChatSession.objects.filter(pk=fresh).exists()
    lines = archive.read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["session_id"] == old
    assert record["transcript"][2] == {
        "sender": "user",
        "type": "text",
        "text": "Bo",
        "node_id": "name",
        "created_at": record["transcript"][2]["created_at"],
    }
