from datetime import timedelta

from django.utils import timezone

import pytest

from executions.models import ChatMessage, ChatSession, UserInput
from tests.factories import ChatbotFactory, edge, form_graph, linked_flows_bot, node, published_bot

pytestmark = pytest.mark.django_db


def start(client, chatbot, body=None, **extra):
    return client.post(f"/api/flows/public/{chatbot.public_id}/start/", body or {}, format="json", **extra)


def reply(client, session_id, value, **body):
    return client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value, **body}, format="json")


def test_start_returns_the_first_turn(api_client):
    bot = published_bot()
    response = start(api_client, bot)
    assert response.status_code == 201
    body = response.json()
    session = ChatSession.objects.get()
    assert body == {
        "session_id": str(session.id),
        "status": "active",
        "messages": [
            {"id": "m1", "node_id": "hello", "type": "text", "text": "Hello!"},
            {"id": "m2", "node_id": "name", "type": "text", "text": "Your name?"},
        ],
        "input": {
            "node_id": "name",
            "type": "text_input",
            "options": {"placeholder": "", "multiline": False, "min_length": 0, "max_length": 2000},
        },
        "actions": [],
    }
    assert session.version == bot.live_version
    assert session.is_preview is False


def test_a_whole_conversation(api_client):
    bot = published_bot()
    session_id = start(api_client, bot).json()["session_id"]
    turn = reply(api_client, session_id, "Ana").json()
    assert [m["text"] for m in turn["messages"]] == ["Email, Ana?"]
    turn = reply(api_client, session_id, " Ana@Example.COM ").json()
    assert turn["input"]["type"] == "choice"
    assert turn["input"]["choices"] == [{"id": "yes", "label": "Yes please"}, {"id": "no", "label": "No"}]
    turn = reply(api_client, session_id, "yes please").json()
    assert turn["status"] == "completed"
    assert turn["input"] is None
    assert [m["text"] for m in turn["messages"]] == ["Glad to hear it.", "Bye Ana, we'll write to ana@example.com."]
    session = ChatSession.objects.get()
    assert session.variables == {"name": "Ana", "email": "ana@example.com", "news": "y"}
    assert session.completed_at is not None and session.duration is not None
    assert session.message_count == ChatMessage.objects.count() == 9
    assert list(UserInput.objects.values_list("node_id", "is_valid")) == [
        ("name", True),
        ("email", True),
        ("news", True),
    ]


def test_invalid_answer_is_a_retry_turn_and_stores_nothing(api_client):
    bot = published_bot()
    session_id = start(api_client, bot).json()["session_id"]
    reply(api_client, session_id, "Ana")
    response = reply(api_client, session_id, "not an email")
    assert response.status_code == 200
    turn = response.json()
    assert turn["status"] == "active"
    assert len(turn["messages"]) == 1
    assert "email" in turn["messages"][0]["text"].lower()
    assert turn["input"]["node_id"] == "email"
    session = ChatSession.objects.get()
    assert session.variables["email"] is None
    assert session.pending_node_id == "email"
    assert UserInput.objects.filter(node_id="email", is_valid=False).count() == 1


def test_prefill_sets_only_declared_variables(api_client):
    bot = published_bot()
    body = start(api_client, bot, {"variables": {"name": "Zé", "admin": True}}).json()
    session = ChatSession.objects.get(pk=body["session_id"])
    assert session.variables["name"] == "Zé"
    assert "admin" not in session.variables


@pytest.mark.parametrize(
    "body",
    [
        {"variables": "x"},
        {"variables": {"name": {"nested": 1}}},
        {"variables": {"name": "x" * 1001}},
        {"variables": {f"v{i}": 1 for i in range(51)}},
    ],
)
def test_start_refuses_bad_bodies(api_client, body):
    assert start(api_client, published_bot(), body).status_code == 400
    assert not ChatSession.objects.exists()


def test_only_published_bots_start(api_client):
    draft = ChatbotFactory()
    assert start(api_client, draft).status_code == 404
    archived = published_bot()
    archived.status = "archived"
    archived.save()
    assert start(api_client, archived).status_code == 404
    assert api_client.post("/api/flows/public/nope/start/", {}, format="json").status_code == 404


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], ["x"] * 101, "x" * 10_001])
def test_reply_with_malformed_value_is_400(api_client, value):
    session_id = start(api_client, published_bot()).json()["session_id"]
    assert reply(api_client, session_id, value).status_code == 400
    assert api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {}, format="json").status_code == 400


@pytest.mark.parametrize("session_id", ["nope", "00000000-0000-0000-0000-000000000000", "1" * 300])
def test_unknown_or_malformed_session_is_404(api_client, session_id):
    assert reply(api_client, session_id, "x").status_code == 404
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/").status_code == 404


def test_reply_to_completed_session_is_409(api_client):
    graph = {
        "nodes": [node("start", "start"), node("m", "message", text="hi"), node("end", "end")],
        "edges": [edge("start", "m"), edge("m", "end")],
        "variables": [],
    }
    body = start(api_client, published_bot(graph=graph)).json()
    assert body["status"] == "completed", body
    assert reply(api_client, body["session_id"], "x").status_code == 409


def test_reply_naming_a_stale_input_is_409_and_changes_nothing(api_client):
    session_id = start(api_client, published_bot()).json()["session_id"]
    assert (
        api_client.post(
            f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Ana", "node_id": "name"}, format="json"
        ).status_code
        == 200
    )
    again = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Bob", "node_id": "name"}, format="json"
    )
    assert again.status_code == 409
    assert ChatSession.objects.get().variables["name"] == "Ana"
    assert UserInput.objects.count() == 1


def test_idle_session_expires_with_410(api_client):
    session_id = start(api_client, published_bot()).json()["session_id"]
    ChatSession.objects.update(last_activity_at=timezone.now() - timedelta(hours=25))
    assert reply(api_client, session_id, "Ana").status_code == 410
    assert ChatSession.objects.get().status == "expired"
    assert reply(api_client, session_id, "Ana").status_code == 410
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/").json()["status"] == "expired"


def test_bot_timeout_setting_is_respected(api_client):
    bot = published_bot(behavior={"session_timeout_minutes": 5})
    session_id = start(api_client, bot).json()["session_id"]
    ChatSession.objects.update(last_activity_at=timezone.now() - timedelta(minutes=6))
    assert reply(api_client, session_id, "Ana").status_code == 410


def test_get_session_returns_transcript_and_pending_input(api_client):
    session_id = start(api_client, published_bot()).json()["session_id"]
    reply(api_client, session_id, "Ana")
    body = api_client.get(f"/api/flows/public/sessions/{session_id}/").json()
    assert body["status"] == "active"
    assert body["messages"] == []
    assert body["input"]["node_id"] == "email"
    assert [(t["sender"], t.get("text")) for t in body["transcript"]] == [
        ("bot", "Hello!"),
        ("bot", "Your name?"),
        ("user", "Ana"),
        ("bot", "Email, Ana?"),
    ]
    assert all({"id", "sender", "type", "node_id", "created_at"} <= set(t) for t in body["transcript"])


def test_session_runs_on_the_version_it_started_with(api_client, user):
    bot = published_bot(owner=user)
    session_id = start(api_client, bot).json()["session_id"]
    changed = form_graph()
    changed["nodes"][3]["data"]["prompt"] = "NEW PROMPT"
    from components.graph import GraphDraft, graph_save
    from components.services import chatbot_publish

    graph_save(bot.main_flow, GraphDraft(**changed))
    chatbot_publish(bot, user=user)
    assert reply(api_client, session_id, "Ana").json()["messages"][0]["text"] == "Email, Ana?"
    new_session = start(api_client, bot).json()["session_id"]
    assert reply(api_client, new_session, "Ana").json()["messages"][0]["text"] == "NEW PROMPT"


def test_runaway_loop_fails_the_session_with_a_message(api_client, settings):
    settings.RUNNER_MAX_STEPS = 20
    graph = {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", variable="x"),
            node("inc", "set_variable", variable="n", operation="expression", value="n + 1"),
            node(
                "check",
                "condition",
                branches=[{"id": "go", "rules": [{"variable": "n", "operator": "less_than", "value": 1000}]}],
            ),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "ask"),
            edge("ask", "inc"),
            edge("inc", "check"),
            edge("check", "inc", "go"),
            edge("check", "end", "else"),
        ],
        "variables": [{"name": "x"}, {"name": "n", "default": 0}],
    }
    session_id = start(api_client, published_bot(graph=graph)).json()["session_id"]
    turn = reply(api_client, session_id, "go").json()
    assert turn["status"] == "failed"
    assert turn["input"] is None
    assert "loop" in turn["messages"][-1]["text"].lower()
    session = ChatSession.objects.get()
    assert session.status == "failed"
    assert session.logs.filter(level="error").exists()
    assert list(session.flow_executions.values_list("status", flat=True)) == ["abandoned"]
    assert reply(api_client, session_id, "again").status_code == 409


def test_allowed_origins_are_enforced(api_client):
    bot = published_bot(behavior={"allowed_origins": ["https://shop.example"]})
    assert start(api_client, bot, HTTP_ORIGIN="https://evil.example").status_code == 403
    ok = start(api_client, bot, HTTP_ORIGIN="https://shop.example")
    assert ok.status_code == 201
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example"
    session_id = ok.json()["session_id"]
    assert (
        api_client.post(
            f"/api/flows/public/sessions/{session_id}/reply/",
            {"value": "x"},
            format="json",
            HTTP_ORIGIN="https://evil.example",
        ).status_code
        == 403
    )
    assert start(api_client, bot).status_code == 201  # no Origin header: not a browser page


def test_public_routes_answer_cors_preflight_from_any_origin(api_client):
    response = api_client.options(
        "/api/flows/public/abc/start/", HTTP_ORIGIN="https://any.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert response["Access-Control-Allow-Origin"] == "https://any.example"
    builder = api_client.options(
        "/api/chatbots/", HTTP_ORIGIN="https://any.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in builder


def test_chat_is_throttled_per_ip(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_start": "2/min"},
    }
    bot = published_bot()
    assert start(api_client, bot).status_code == 201
    assert start(api_client, bot, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 201
    blocked = start(api_client, bot, HTTP_X_FORWARDED_FOR="2.2.2.2")
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0


def test_visitor_ip_is_stored_only_as_a_salted_hash(api_client):
    start(api_client, published_bot(), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="TestAgent/1.0")
    session = ChatSession.objects.get()
    assert session.ip_hash and "203.0.113.9" not in session.ip_hash
    assert len(session.ip_hash) == 64
    assert session.user_agent == "TestAgent/1.0"


def test_flow_link_runs_another_flow_and_records_flow_executions(api_client, user):
    from flows.models import FlowExecution

    bot = linked_flows_bot(user)
    turn = start(api_client, bot).json()
    assert turn["input"]["node_id"] == "mail"
    runs = list(FlowExecution.objects.order_by("id").values_list("flow_name", "status"))
    assert runs == [("Main flow", "running"), ("Ask email", "running")]
    done = reply(api_client, turn["session_id"], "ana@example.com").json()
    assert done["status"] == "completed"
    assert [m["text"] for m in done["messages"]] == ["Thanks, ana@example.com"]
    runs = list(FlowExecution.objects.order_by("id").values_list("flow_name", "status"))
    assert runs == [("Main flow", "finished"), ("Ask email", "finished")]
    assert all(FlowExecution.objects.values_list("ended_at", flat=True))


def test_published_versions_cannot_be_edited(user):
    bot = published_bot(owner=user)
    version = bot.live_version
    version.changelog = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_chat_throttle_counts_in_redis_when_the_cache_is_redis(api_client, settings):
    import uuid

    import redis

    location = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(location)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_start": "2/min"},
    }
    ip = f"198.51.100.{uuid.uuid4().int % 250}"
    bot = published_bot()
    try:
        statuses = [start(api_client, bot, REMOTE_ADDR=ip).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        (key,) = client.keys(f"throttle:chat_start:{ip}:*")
        assert int(client.get(key)) == 3
        assert 0 < client.ttl(key) <= 61
    finally:
        for key in client.keys(f"throttle:*:{ip}:*"):
            client.delete(key)


@pytest.mark.django_db
def test_chat_errors_are_json_with_their_status_and_headers(api_client, settings):
    bot = published_bot()
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    reply_url = f"/api/flows/public/sessions/{session_id}/reply/"
    cases = [
        (api_client.post("/api/flows/public/nope/start/", {}, format="json"), 404),
        (api_client.post(reply_url, {"node_id": "name"}, format="json"), 400),
        (api_client.post(reply_url, "value=1", content_type="application/x-www-form-urlencoded"), 415),
        (api_client.post(reply_url, "{not json", content_type="application/json"), 400),
        (api_client.get(f"/api/flows/public/sessions/{bot.public_id}/"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json", response.content
        assert response.json()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"chat_reply": "1/min"}}
    api_client.post(reply_url, {"value": "Ana"}, format="json")
    throttled = api_client.post(reply_url, {"value": "Ana"}, format="json")
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == "application/json"
    assert int(throttled["Retry-After"]) >= 1
