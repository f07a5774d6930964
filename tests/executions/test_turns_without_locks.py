"""Chat turns hold no lock and no transaction across I/O: a slow upstream behind one bot stalls
nobody else; a call is made after its intent is stored, with an idempotency key, and resumed
after a crash; concurrent replies are settled by compare-and-swap."""

import itertools
import threading
from collections.abc import Iterator

from django.db import connection

import pytest
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient
from werkzeug import Request, Response

from executions import services
from executions.models import ChatMessage, ChatSession, ExecutionLog
from executions.services import chat
from tests.factories import UserFactory, edge, node, published_bot
from tests.roundtrips import count_round_trips

pytestmark = pytest.mark.usefixtures("dns", "network", "outbound_settings")

SAFETY_SECONDS = 20  # a blocked test gives up after this, and fails on the recorded order


@pytest.fixture(scope="module")
def make_httpserver() -> Iterator[HTTPServer]:
    # Threaded: a handler held open must not hold up the server's other requests.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def upstream(httpserver, settings) -> HTTPServer:
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}"]
    return httpserver


def lookup_graph(url: str, *, timeout: int = 10) -> dict:
    """start -> name (text) -> lookup (POST url) -> found / not found -> end."""
    return {
        "nodes": [
            node("start", "start"),
            node("name", "text_input", prompt="Your name?", variable="name"),
            node(
                "lookup",
                "http_request",
                method="POST",
                url=url,
                body='{"name": "{{name}}"}',
                timeout=timeout,
                mapping=[{"path": "city", "variable": "city"}],
            ),
            node("found", "message", text="You live in {{city}}."),
            node("missing", "message", text="Lookup failed."),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "name"),
            edge("name", "lookup"),
            edge("lookup", "found", "success"),
            edge("lookup", "missing", "failure"),
            edge("found", "end"),
            edge("missing", "end"),
        ],
        "variables": [{"name": "name", "default": None}, {"name": "city", "default": None}],
    }


def echo_graph() -> dict:
    """start -> ask (text, loops back to itself through a message)."""
    return {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", prompt="Say something", variable="x"),
            node("echo", "message", text="You said {{x}}"),
        ],
        "edges": [edge("start", "ask"), edge("ask", "echo"), edge("echo", "ask")],
        "variables": [{"name": "x", "default": None}],
    }


def start(client, bot) -> dict:
    response = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def reply(client, session_id, value, **extra):
    return client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value, **extra}, format="json")


def in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# --- A slow upstream stalls nobody else ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_while_one_visitors_call_waits_on_a_slow_upstream_others_are_served(upstream):
    entered, released = threading.Event(), threading.Event()
    order: list[str] = []

    def slow(request: Request) -> Response:
        entered.set()
        released.wait(SAFETY_SECONDS)
        order.append("slow upstream returned")
        return Response('{"city": "Lisbon"}', content_type="application/json")

    upstream.expect_request("/slow").respond_with_handler(slow)
    owner = UserFactory(username="owner", password="owner-pass-123")
    slow_bot = published_bot(owner=owner, graph=lookup_graph(upstream.url_for("/slow"), timeout=30))
    other_bot = published_bot(graph=echo_graph())  # another owner's bot
    client = APIClient()
    slow_session = start(client, slow_bot)["session_id"]
    other_session = start(client, other_bot)["session_id"]
    slow_turn: dict = {}

    def slow_reply():
        slow_turn["response"] = reply(APIClient(), slow_session, "Ana")

    thread = in_thread(slow_reply)
    assert entered.wait(SAFETY_SECONDS), "the slow call never reached the upstream"

    response = reply(client, other_session, "hello")
    assert (response.status_code, response.json()["messages"][0]["text"]) == (200, "You said hello")
    order.append("another bot's reply")
    response = APIClient().post("/api/auth/login/", {"username": "owner", "password": "owner-pass-123"}, format="json")
    assert response.status_code == 200, response.content
    order.append("login")
    owner_client = APIClient()
    owner_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    response = owner_client.patch(f"/api/chatbots/{slow_bot.pk}/", {"description": "edited"}, format="json")
    assert response.status_code == 200, response.content
    order.append("owner PATCH")
    # The slow visitor's own reply is refused while its call is under way, with a hint.
    busy = reply(client, slow_session, "again")
    assert busy.status_code == 409
    assert int(busy["Retry-After"]) >= 1
    order.append("409 to the slow visitor")

    released.set()
    thread.join(SAFETY_SECONDS)
    assert order == [
        "another bot's reply",
        "login",
        "owner PATCH",
        "409 to the slow visitor",
        "slow upstream returned",
    ]
    turn = slow_turn["response"].json()
    assert [m["text"] for m in turn["messages"]] == ["You live in Lisbon."]
    assert turn["status"] == "completed"


@pytest.mark.django_db(transaction=True)
def test_a_loop_through_calls_stops_calling_when_the_turns_outbound_time_is_used_up(upstream, settings):
    settings.CHAT_TURN_OUTBOUND_SECONDS = 1.0
    calls: list[str] = []

    def slow(request: Request) -> Response:
        calls.append(request.path)
        threading.Event().wait(0.6)
        return Response("{}", content_type="application/json")

    upstream.expect_request("/again").respond_with_handler(slow)
    graph = {
        "nodes": [
            node("start", "start"),
            node("call", "http_request", url=upstream.url_for("/again"), timeout=5),
            node("done", "message", text="Gave up."),
        ],
        "edges": [edge("start", "call"), edge("call", "call", "success"), edge("call", "done", "failure")],
        "variables": [],
    }
    turn = start(APIClient(), published_bot(graph=graph))
    assert [m["text"] for m in turn["messages"]] == ["Gave up."]
    assert turn["status"] == "completed"
    assert 1 <= len(calls) <= 2
    last = ExecutionLog.objects.filter(session_id=turn["session_id"], node_id="call").order_by("id").last()
    assert last.level == "warning"


# --- Calls after their intent is stored; crashes resumed -------------------------------------------


class Crash(BaseException):
    """The process dying mid-turn: nothing after it runs, no handler catches it."""


def crash_after_the_call(monkeypatch) -> None:
    real = chat.http_node_call

    def call_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash()

    monkeypatch.setattr(chat, "http_node_call", call_then_die)


def expire_the_lease(session_id: str) -> None:
    session = ChatSession.objects.get(pk=session_id)
    session.state["call"]["lease_until"] = 0
    ChatSession.objects.filter(pk=session_id).update(state=session.state)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("resumed_by", ["transcript", "reply"])
def test_a_call_cut_off_by_a_crash_is_made_again_with_the_same_key_by_the_next_request(
    upstream, monkeypatch, resumed_by
):
    upstream.expect_request("/lookup").respond_with_json({"city": "Porto"})
    bot = published_bot(graph=lookup_graph(upstream.url_for("/lookup")))
    client = APIClient()
    session_id = start(client, bot)["session_id"]

    crash_after_the_call(monkeypatch)
    with pytest.raises(Crash):
        services.session_reply(session_id, value="Ana")
    monkeypatch.undo()
    # The turn up to the call is stored: the answer, and the intent.
    session = ChatSession.objects.get(pk=session_id)
    assert (session.status, session.pending_node_id, session.variables["name"]) == ("active", "", "Ana")
    assert session.state["call"]["node_id"] == "lookup"
    key = session.state["call"]["key"]

    # While the crashed request's lease runs, nobody makes the call again.
    busy = reply(client, session_id, "hello")
    assert busy.status_code == 409 and int(busy["Retry-After"]) >= 1
    read = client.get(f"/api/flows/public/sessions/{session_id}/")
    assert read.status_code == 200 and read.json()["input"] is None and int(read["Retry-After"]) >= 1
    assert len(upstream.log) == 1

    expire_the_lease(session_id)
    if resumed_by == "transcript":
        response = client.get(f"/api/flows/public/sessions/{session_id}/")
        assert response.status_code == 200
        assert [m.get("text") for m in response.json()["transcript"]][-1] == "You live in Porto."
    else:
        response = reply(client, session_id, "ignored")
        assert response.status_code == 200
        assert [m["text"] for m in response.json()["messages"]] == ["You live in Porto."]
    assert response.json()["status"] == "completed"
    keys = [request.headers.get("Idempotency-Key") for request, _ in upstream.log]
    assert keys == [key, key]
    session = ChatSession.objects.get(pk=session_id)
    assert session.state["call"] is None
    texts = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("content__text", flat=True))
    assert texts == ["Your name?", "Ana", "You live in Porto."]


@pytest.mark.django_db
def test_every_call_carries_an_idempotency_key_and_a_node_may_set_its_own(api_client, upstream):
    upstream.expect_request("/lookup").respond_with_json({"city": "Faro"})
    bot = published_bot(graph=lookup_graph(upstream.url_for("/lookup")))
    first = start(api_client, bot)["session_id"]
    reply(api_client, first, "Ana")
    second = start(api_client, bot)["session_id"]
    reply(api_client, second, "Rui")
    keys = [request.headers.get("Idempotency-Key") for request, _ in upstream.log]
    assert len(keys) == 2 and all(len(key) == 32 for key in keys) and keys[0] != keys[1]

    graph = lookup_graph(upstream.url_for("/lookup"))
    graph["nodes"][2]["data"]["headers"] = {"Idempotency-Key": "order-{{name}}"}
    own = published_bot(graph=graph)
    reply(api_client, start(api_client, own)["session_id"], "Eva")
    assert upstream.log[-1][0].headers["Idempotency-Key"] == "order-Eva"


# --- Compare-and-swap: concurrent replies ---------------------------------------------------------------


def chain_graph(inputs: int) -> dict:
    nodes = [node("start", "start")] + [node(f"q{i}", "text_input", variable="x") for i in range(inputs)]
    nodes.append(node("end", "end"))
    return {
        "nodes": nodes,
        "edges": [edge(a["id"], b["id"]) for a, b in itertools.pairwise(nodes)],
        "variables": [{"name": "x", "default": None}],
    }


@pytest.mark.django_db(transaction=True)
def test_of_twenty_concurrent_replies_to_one_input_exactly_one_is_applied():
    rounds, threads = 20, 20
    bot = published_bot(graph=chain_graph(rounds))
    session_id = start(APIClient(), bot)["session_id"]
    for number in range(rounds):
        statuses: list[int] = []
        barrier = threading.Barrier(threads)

        def answer(value, number=number, barrier=barrier, statuses=statuses):
            client = APIClient()
            barrier.wait()
            statuses.append(reply(client, session_id, value, node_id=f"q{number}").status_code)

        workers = [
            in_thread(lambda n=n, number=number, answer=answer: answer(f"r{number}-{n}")) for n in range(threads)
        ]
        for worker in workers:
            worker.join()
        assert sorted(statuses) == [200] + [409] * (threads - 1), (number, statuses)
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == "completed"
    user_messages = ChatMessage.objects.filter(session=session, sender="user")
    assert user_messages.count() == rounds  # none lost, none doubled
    seqs = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, session.message_count + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_without_a_node_id_take_turns_and_none_is_lost_or_doubled():
    threads = 8
    bot = published_bot(graph=echo_graph())
    session_id = start(APIClient(), bot)["session_id"]
    statuses: list[int] = []
    barrier = threading.Barrier(threads)

    def answer(value):
        client = APIClient()
        barrier.wait()
        response = reply(client, session_id, value)
        statuses.append(response.status_code)
        if response.status_code == 409:
            assert int(response["Retry-After"]) >= 1

    workers = [in_thread(lambda n=n: answer(f"v{n}")) for n in range(threads)]
    for worker in workers:
        worker.join()
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    session = ChatSession.objects.get(pk=session_id)
    answers = list(ChatMessage.objects.filter(session=session, sender="user").values_list("content__text", flat=True))
    assert len(answers) == statuses.count(200) == len(set(answers))
    seqs = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, session.message_count + 1))
    # Each applied reply left its answer followed by its echo.
    texts = list(ChatMessage.objects.filter(session=session).order_by("seq").values_list("content__text", flat=True))
    for index, text in enumerate(texts):
        if text in answers:
            assert texts[index + 1] == f"You said {text}"


# --- Round trips ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_throttle(settings):
    """Throttle counters in Redis, as in production (one round trip per request)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/10"}
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_a_reply_and_a_start_take_at_most_three_round_trips_including_the_throttle(redis_throttle):
    bot = published_bot(graph=echo_graph())
    client = APIClient()
    session_id = start(client, bot)["session_id"]
    # Warm up: PostgreSQL statements are prepared on their sixth run (one more round trip, once
    # per connection); what counts is every reply after that.
    for turn in range(8):
        reply(client, session_id, f"warm-up {turn}")
        start(client, bot)
    with count_round_trips() as counted:
        response = reply(client, session_id, "counted")
    assert response.status_code == 200
    assert counted.redis_round_trips == 1, counted
    assert counted.round_trips <= 3, counted
    with count_round_trips() as counted:
        start(client, bot)
    assert counted.redis_round_trips == 1, counted
    assert counted.round_trips <= 3, counted


@pytest.mark.django_db
def test_a_reply_computed_while_the_owner_finishes_the_session_is_not_stored(api_client, monkeypatch):
    bot = published_bot(graph=echo_graph())
    session_id = start(api_client, bot)["session_id"]
    real = chat.run_reply

    def finished_meanwhile(*args, **kwargs):
        result = real(*args, **kwargs)
        services.session_finish(ChatSession.objects.get(pk=session_id))
        return result

    monkeypatch.setattr(chat, "run_reply", finished_meanwhile)
    response = reply(api_client, session_id, "too late")
    assert response.status_code == 409
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == "completed"
    assert not ChatMessage.objects.filter(session=session, sender="user").exists()
