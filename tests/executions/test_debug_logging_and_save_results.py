"""A bot's `behavior.debug_logging` (every executed node logged with its timing; always for
previews) and `behavior.save_results: false` (an ended session keeps no answers or
transcript; what analytics counts remains)."""

from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import pytest

from executions.models import ChatMessage, ChatSession, ExecutionLog, UserInput
from integrations.delivery import deliver_due
from integrations.models import OutgoingEmail
from tests.factories import edge, form_graph, node, published_bot

pytestmark = pytest.mark.django_db


def start(client, bot) -> dict:
    response = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reply(client, session_id, value):
    return client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json")


def play(client, bot, answers) -> str:
    session_id = start(client, bot)["session_id"]
    for value in answers:
        assert reply(client, session_id, value).status_code == 200
    return session_id


def traced(session_id) -> list[tuple[str, str]]:
    logs = ExecutionLog.objects.filter(session_id=session_id, level="debug").order_by("id")
    return [(log.node_id, log.message) for log in logs]


# --- debug_logging ------------------------------------------------------------------------------


def test_by_default_a_turn_writes_no_log_per_node(api_client):
    bot = published_bot()
    play(api_client, bot, ["Ana", "ana@example.com", "yes"])
    assert ExecutionLog.objects.count() == 0


def test_with_debug_logging_every_executed_node_writes_one_entry_with_its_timing(api_client):
    bot = published_bot(behavior={"debug_logging": True})
    session_id = start(api_client, bot)["session_id"]
    assert traced(session_id) == [
        ("start", "Ran the start node."),
        ("hello", "Ran the message node."),
        ("name", "Ran the text_input node."),
    ]
    reply(api_client, session_id, "Ana")
    entries = list(ExecutionLog.objects.filter(session_id=session_id, level="debug").order_by("id"))
    assert [(e.node_id, e.message) for e in entries[3:]] == [
        ("name", "Answer accepted."),
        ("email", "Ran the email_input node."),
    ]
    for entry in entries:
        assert isinstance(entry.details["duration_us"], int) and entry.details["duration_us"] >= 0
        assert entry.duration_ms == entry.details["duration_us"] // 1000
    assert entries[0].details["next"] == "next"
    assert entries[3].details == {
        "value": "Ana",
        "handle": "next",
        "valid": True,
        "duration_us": entries[3].details["duration_us"],
    }
    assert entries[2].details["presented"] is True


def test_with_debug_logging_a_loop_logs_each_pass(api_client):
    graph = {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", variable="x"),
            node(
                "check",
                "condition",
                branches=[{"id": "again", "rules": [{"variable": "x", "operator": "equals", "value": "again"}]}],
            ),
            node("back", "jump", target="ask"),
        ],
        "edges": [
            edge("start", "ask"),
            edge("ask", "check"),
            edge("check", "back", "else"),
            edge("check", "back", "again"),
        ],
        "variables": [{"name": "x", "default": None}],
    }
    bot = published_bot(graph=graph, behavior={"debug_logging": True})
    session_id = play(api_client, bot, ["one", "two"])
    nodes = [node_id for node_id, _ in traced(session_id)]
    assert nodes == ["start", "ask", "ask", "check", "back", "ask", "ask", "check", "back", "ask"]
    messages = dict(traced(session_id))
    assert messages["check"] == "No branch matched; following `else`."
    assert messages["back"] == "Jumping to 'ask'."


def test_preview_sessions_always_log_every_node(auth_client, user):
    bot = published_bot(owner=user)
    response = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json")
    assert response.status_code == 201
    assert [node_id for node_id, _ in traced(response.json()["session_id"])] == ["start", "hello", "name"]


def test_debug_logging_is_a_boolean_setting(auth_client, user):
    bot = published_bot(owner=user)
    bad = auth_client.patch(f"/api/chatbots/{bot.pk}/", {"behavior": {"debug_logging": "yes"}}, format="json")
    assert bad.status_code == 400
    assert "behavior.debug_logging" in bad.json()
    good = auth_client.patch(f"/api/chatbots/{bot.pk}/", {"behavior": {"debug_logging": True}}, format="json")
    assert good.status_code == 200 and good.json()["behavior"]["debug_logging"] is True


# --- save_results ---------------------------------------------------------------------------------


@pytest.fixture
def forgetful(user):
    return published_bot(owner=user, behavior={"save_results": False})


def test_an_ended_session_of_a_bot_that_keeps_no_results_keeps_no_answers_or_transcript(api_client, forgetful):
    session_id = start(api_client, forgetful)["session_id"]
    reply(api_client, session_id, "Ana")
    # While it runs, the conversation is there (a reload shows it).
    read = api_client.get(f"/api/flows/public/sessions/{session_id}/").json()
    assert [entry.get("text") for entry in read["transcript"]][-2:] == ["Ana", "Email, Ana?"]
    last = reply(api_client, session_id, "ana@example.com")
    last = reply(api_client, session_id, "yes")
    assert last.status_code == 200
    assert [m["text"] for m in last.json()["messages"]][-1] == "Bye Ana, we'll write to ana@example.com."
    session = ChatSession.objects.get(pk=session_id)
    assert (session.status, session.variables, session.message_count) == ("completed", {}, 9)
    assert not ChatMessage.objects.filter(session=session).exists()
    assert not ExecutionLog.objects.filter(session=session).exists()
    answers = UserInput.objects.filter(session=session)
    assert answers.count() == 3
    assert set(answers.values_list("raw_value", "parsed_value")) == {(None, None)}


def test_sessions_of_a_bot_that_keeps_no_results_stay_out_of_results_but_count_in_analytics(
    api_client, auth_client, forgetful
):
    play(api_client, forgetful, ["Ana", "ana@example.com", "yes"])
    play(api_client, forgetful, ["Bo"])
    results = auth_client.get(f"/api/chatbots/{forgetful.pk}/results/").json()
    assert results["count"] == 0
    csv = auth_client.get(f"/api/chatbots/{forgetful.pk}/results/?format=csv")
    assert b"".join(csv.streaming_content).decode("utf-8-sig").strip().count("\n") == 0  # the header only
    analytics = auth_client.get(f"/api/chatbots/{forgetful.pk}/analytics/").json()
    assert (analytics["starts"], analytics["completions"]) == (2, 1)
    assert analytics["inputs"][0] == {"node_id": "name", "reached": 2, "answered": 2, "dropped": 0}
    assert analytics["inputs"][1] == {"node_id": "email", "reached": 2, "answered": 1, "dropped": 1}


def test_an_expired_or_finished_session_of_such_a_bot_is_forgotten(api_client, auth_client, forgetful):
    idle = start(api_client, forgetful)["session_id"]
    reply(api_client, idle, "Ana")
    ChatSession.objects.filter(pk=idle).update(last_activity_at=timezone.now() - timedelta(days=2))
    assert reply(api_client, idle, "late").status_code == 410
    assert not ChatMessage.objects.filter(session_id=idle).exists()

    finished = start(api_client, forgetful)["session_id"]
    reply(api_client, finished, "Bo")
    response = auth_client.post(f"/api/executions/sessions/{finished}/finish/")
    assert response.status_code == 200, response.content
    assert not ChatMessage.objects.filter(session_id=finished).exists()
    assert ChatSession.objects.get(pk=finished).variables == {}


def test_its_emails_are_sent_then_forgotten(api_client, user):
    graph = form_graph()
    graph["nodes"].insert(-1, node("mail", "send_email", to="owner@example.com", subject="Lead {{name}}"))
    graph["edges"] = [e for e in graph["edges"] if e["source"] != "bye"] + [edge("bye", "mail"), edge("mail", "end")]
    bot = published_bot(owner=user, graph=graph, behavior={"save_results": False})
    play(api_client, bot, ["Ana", "ana@example.com", "no"])
    assert OutgoingEmail.objects.filter(status="pending").count() == 1  # queued with the last turn
    deliver_due()
    assert [m.subject for m in mail.outbox] == ["Lead Ana"]
    assert not OutgoingEmail.objects.exists()
    assert not ExecutionLog.objects.exists()  # nor a log line saying it was sent


def test_cleanup_forgets_what_an_interrupted_end_left_behind(api_client, forgetful):
    session_id = play(api_client, forgetful, ["Ana"])
    ChatSession.objects.filter(pk=session_id).update(status="failed")  # ended without forgetting
    assert ChatMessage.objects.filter(session_id=session_id).exists()
    call_command("cleanup_sessions")
    assert not ChatMessage.objects.filter(session_id=session_id).exists()
    assert ChatSession.objects.get(pk=session_id).variables == {}


def test_save_results_is_copied_when_a_session_starts(api_client, auth_client, user):
    bot = published_bot(owner=user)
    kept = start(api_client, bot)["session_id"]
    auth_client.patch(f"/api/chatbots/{bot.pk}/", {"behavior": {"save_results": False}}, format="json")
    later = start(api_client, bot)["session_id"]
    assert ChatSession.objects.get(pk=kept).save_results is True
    assert ChatSession.objects.get(pk=later).save_results is False
