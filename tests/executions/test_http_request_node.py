"""The `http_request` node's side effect (`executions.integrations.http_node_call`), called directly and
through the public chat API. Every test stays on loopback: a fake resolver answers the few names
used here, and a guard on socket.connect fails the test for any other address."""

import base64
import json
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from components.catalog import COMPONENT_TYPES
from executions import http_node
from executions.integrations import http_node_call
from executions.models import ChatSession, ExecutionLog
from integrations import api_requests
from integrations.crypto import secret_encrypt
from integrations.models import ApiConnection
from tests.factories import edge, node, published_bot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dns", "network", "outbound_settings")]

SECRET = "s3cr3t-T0ken/+=value"


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    # Threaded, so a handler that sleeps past a timeout does not hold up the next test.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(httpserver, settings) -> HTTPServer:
    """The local server, let through the outbound guard on its own port only."""
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}"]
    return httpserver


# --- Helpers ------------------------------------------------------------------------------------


def config(**data) -> dict:
    """A node's data as the runner hands it over: the catalog's defaults, then `data`."""
    return {**COMPONENT_TYPES["http_request"].defaults(), **data}


def call(data: dict, variables: dict | None = None, *, session_id: str | None = None, **options):
    """(handle, updates, log) of one call of the node."""
    outcome = http_node_call(session_id or str(uuid.uuid4()), "h", config(**data), variables or {}, **options)
    return outcome.handle, dict(outcome.updates), outcome.log


def received(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


def logged(log) -> str:
    """Everything a log entry shows to the bot's owner, as one string."""
    return json.dumps(log.to_dict(), ensure_ascii=False)


@pytest.fixture
def session(user) -> ChatSession:
    """A live session of a published bot of `user`, for connection lookups."""
    bot = published_bot(owner=user)
    return ChatSession.objects.create(chatbot=bot, version=bot.live_version, version_uid=bot.live_version.uid)


def connection_of(owner, server: HTTPServer, *, auth_type="bearer", auth_name="", headers=None, secret=SECRET):
    return ApiConnection.objects.create(
        owner=owner,
        name=f"API {auth_type} {uuid.uuid4().hex[:6]}",
        base_url=server.url_for("/v1"),
        auth_type=auth_type,
        auth_name=auth_name,
        secret_encrypted=secret_encrypt(secret),
        secret_hint="…alue",
        headers=headers or {},
    )


# --- Mapping ------------------------------------------------------------------------------------


def test_mapping_reads_nested_paths_list_indexes_status_and_headers(server):
    server.expect_request("/items").respond_with_json(
        {"data": {"items": [{"name": "first"}, {"name": "second", "tags": ["a", "b"]}], "total": 2, "none": None}},
        headers={"X-Request-Id": "req-42"},
    )
    handle, updates, log = call(
        {
            "url": server.url_for("/items"),
            "mapping": [
                {"path": "data.items.0.name", "variable": "first"},
                {"path": "data.items.1.tags", "variable": "tags"},
                {"path": "data.items.-1.name", "variable": "last"},
                {"path": "data.total", "variable": "total"},
                {"path": "data.none", "variable": "nothing"},
                {"path": "data", "variable": "whole"},
                {"path": "$", "variable": "body"},
                {"path": "status", "variable": "code"},
                {"path": "headers.x-request-id", "variable": "request_id"},
                {"path": "headers.Content-Type", "variable": "content_type"},
            ],
        }
    )
    assert handle == "success"
    assert updates == {
        "first": "first",
        "tags": ["a", "b"],
        "last": "second",
        "total": 2,
        "nothing": None,
        "whole": {"items": [{"name": "first"}, {"name": "second", "tags": ["a", "b"]}], "total": 2, "none": None},
        "body": {
            "data": {"items": [{"name": "first"}, {"name": "second", "tags": ["a", "b"]}], "total": 2, "none": None}
        },
        "code": 200,
        "request_id": "req-42",
        "content_type": "application/json",
    }
    assert log.level == "info"
    assert log.node_type == "http_request"
    assert log.message.startswith(f"GET {server.url_for('/items')} → 200 in ")
    assert log.details["status"] == 200
    assert log.details["method"] == "GET"
    assert log.details["mapped"] == list(updates)
    assert "error" not in log.details
    assert log.duration_ms == log.details["duration_ms"] >= 0


def test_a_missing_path_leaves_its_variable_unset_and_still_succeeds(server):
    server.expect_request("/").respond_with_json({"data": {"items": []}})
    handle, updates, log = call(
        {
            "url": server.url_for("/"),
            "mapping": [
                {"path": "data.items.0.name", "variable": "name"},
                {"path": "data.nope", "variable": "nope"},
                {"path": "data.items.x", "variable": "bad_index"},
                {"path": "headers.x-missing", "variable": "header"},
                {"path": "status", "variable": "code"},
            ],
        }
    )
    assert handle == "success"
    assert updates == {"code": 200}
    assert log.level == "info"
    assert log.details["missing"] == ["data.items.0.name", "data.nope", "data.items.x", "headers.x-missing"]
    assert "not in the response: data.items.0.name" in log.message


def test_a_mapped_value_too_large_to_store_is_left_out(server):
    server.expect_request("/big").respond_with_json({"blob": "x" * 70_000, "small": "ok"})
    handle, updates, log = call(
        {
            "url": server.url_for("/big"),
            "mapping": [{"path": "blob", "variable": "blob"}, {"path": "small", "variable": "small"}],
        }
    )
    assert handle == "success"
    assert updates == {"small": "ok"}
    assert log.details["too_large"] == ["blob"]


def test_a_body_that_is_not_json_fails_when_the_mapping_needs_it(server):
    server.expect_request("/").respond_with_data("<html>oops</html>", content_type="text/html")
    handle, updates, log = call(
        {
            "url": server.url_for("/"),
            "mapping": [{"path": "data.x", "variable": "x"}, {"path": "status", "variable": "s"}],
        }
    )
    assert handle == "failure"
    assert updates == {"s": 200}
    assert log.level == "warning"
    assert log.details["error"] == "invalid_json"
    assert log.details["response_excerpt"] == "<html>oops</html>"


def test_a_body_that_is_not_json_is_fine_without_a_body_mapping(server):
    server.expect_request("/").respond_with_data("plain text")
    handle, updates, log = call({"url": server.url_for("/"), "mapping": [{"path": "status", "variable": "s"}]})
    assert (handle, updates, log.level) == ("success", {"s": 200}, "info")
    assert "response_excerpt" not in log.details


# --- Branches and failures ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [201, 204, 299])
def test_2xx_follows_success(server, status):
    server.expect_request("/").respond_with_data("", status=status)
    handle, _, log = call({"url": server.url_for("/"), "method": "POST"})
    assert handle == "success"
    assert log.message.startswith(f"POST {server.url_for('/')} → {status} in ")


@pytest.mark.parametrize("status", [301, 400, 404, 500, 503])
def test_non_2xx_follows_failure_and_maps_only_the_status(server, status):
    server.expect_request("/").respond_with_json({"error": "nope", "data": {"x": 1}}, status=status)
    handle, updates, log = call(
        {
            "url": server.url_for("/"),
            "mapping": [{"path": "status", "variable": "code"}, {"path": "data.x", "variable": "x"}],
        }
    )
    assert handle == "failure"
    assert updates == {"code": status}
    assert log.level == "warning"
    assert log.details["status"] == status
    assert log.details["error"] == "http_status"
    assert json.loads(log.details["response_excerpt"]) == {"error": "nope", "data": {"x": 1}}


def test_the_failure_excerpt_is_at_most_500_characters(server):
    server.expect_request("/").respond_with_data("x" * 5000, status=500)
    _, _, log = call({"url": server.url_for("/")})
    assert log.details["response_excerpt"] == "x" * 500


@pytest.fixture
def slow_server(settings) -> Iterator[HTTPServer]:
    """A server of its own: its handler finishes after the test, and must not log into the next one's."""
    slow = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    slow.start()
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{slow.port}"]
    yield slow
    slow.stop()


def test_a_server_slower_than_the_node_timeout_follows_failure(slow_server):
    server = slow_server

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    handle, updates, log = call(
        {"url": server.url_for("/slow"), "timeout": 0.5, "mapping": [{"path": "status", "variable": "s"}]}
    )
    assert time.monotonic() - started < 0.95
    assert (handle, updates) == ("failure", {})
    assert log.level == "warning"
    assert log.details["error"] == "timeout"
    assert log.details["status"] is None
    assert "did not answer in time" in log.message


@pytest.mark.parametrize(
    ("configured", "used"), [(0.5, 0.5), (30, 30), (120, 30), (0, 10), (-1, 10), (None, 10), ("x", 10), (True, 10)]
)
def test_the_timeout_comes_from_the_config_clamped_to_30_seconds(server, monkeypatch, configured, used):
    seen = {}

    def fake_request(method, url, **kwargs):
        seen.update(kwargs)
        raise http_node.OutboundTimeout()

    monkeypatch.setattr(api_requests, "outbound_request", fake_request)
    call({"url": server.url_for("/"), "timeout": configured})
    assert seen["timeout"] == used


def test_a_response_over_the_size_cap_follows_failure(server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 100
    server.expect_request("/big").respond_with_json({"data": "x" * 500})
    handle, updates, log = call({"url": server.url_for("/big"), "mapping": [{"path": "data", "variable": "d"}]})
    assert (handle, updates) == ("failure", {})
    assert log.details["error"] == "too_large"
    assert "larger than allowed" in log.message


def test_a_name_resolving_to_a_private_address_fails_without_connecting(dns, network):
    dns.answers["internal.example"] = ["10.1.2.3"]
    handle, updates, log = call({"url": "http://internal.example/admin?token=abc"})
    assert (handle, updates) == ("failure", {})
    assert log.level == "warning"
    assert log.details["error"] == "blocked"
    assert log.details["url"] == "http://internal.example/admin?token=***"
    assert "internal.example" in dns.lookups
    assert network.connected == []
    assert network.refused == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"]
)
def test_forbidden_targets_fail_without_connecting(url, network):
    handle, _, log = call({"url": url})
    assert handle == "failure"
    assert log.details["error"] == "blocked"
    assert network.connected == []


def test_a_refused_connection_follows_failure(settings, network):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    handle, _, log = call({"url": f"http://127.0.0.1:{port}/"})
    assert handle == "failure"
    assert log.details["error"] == "connection_error"


@pytest.mark.parametrize("url", ["", "{{empty}}"])
def test_an_empty_url_follows_failure(url, network):
    handle, _, log = call({"url": url})
    assert handle == "failure"
    assert log.details["error"] == "invalid_config"
    assert network.connected == []


def test_an_unexpected_exception_becomes_failure_and_never_escapes(server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug with secret detail")

    monkeypatch.setattr(api_requests, "outbound_request", broken)
    handle, updates, log = call({"url": server.url_for("/")})
    assert (handle, updates) == ("failure", {})
    assert log.level == "warning"
    assert log.details["error"] == "unexpected"
    assert "secret detail" not in logged(log)


# --- Rendering ----------------------------------------------------------------------------------


def test_url_query_and_headers_are_rendered_from_variables(server):
    server.expect_request("/users/42/orders").respond_with_data("ok")
    handle, _, log = call(
        {
            "url": server.url_for("/users/{{user_id}}/orders") + "?lang={{lang}}",
            "query": {"q": "{{term}}", "n": "{{count}}", "flag": "{{flag}}"},
            "headers": {"X-Customer": "{{name}}", "X-Multi": "{{multi}}"},
        },
        {"user_id": 42, "lang": "pt", "term": "a b&c=d", "count": 2.0, "flag": True, "name": "Zoë", "multi": "a\nb"},
    )
    assert handle == "success"
    request = received(server, "/users/42/orders")[0]
    assert request.args.to_dict() == {"lang": "pt", "q": "a b&c=d", "n": "2", "flag": "true"}
    assert request.headers["X-Customer"] == "Zoë".encode().decode("latin-1")
    assert request.headers["X-Multi"] == "a b"
    assert log.details["url"].startswith(server.url_for("/users/42/orders") + "?lang=pt&q=a+b%26c%3Dd")


def test_a_value_in_the_url_cannot_add_query_parameters_or_path_structure(server):
    server.expect_request("/search/a%3Fb%23c").respond_with_data("ok")
    server.expect_request("/search/a?b#c").respond_with_data("ok")
    handle, _, _ = call(
        {"url": server.url_for("/search/") + "{{segment}}?q={{term}}"},
        {"segment": "a?b#c", "term": "x&admin=true#frag"},
    )
    assert handle == "success"
    (request,) = [request for request, _ in server.log]
    assert request.args.to_dict() == {"q": "x&admin=true#frag"}


def test_variables_may_fill_the_host_and_port_with_host_name_characters(server):
    server.expect_request("/v2/ping").respond_with_data("pong")
    handle, _, _ = call({"url": "http://{{host}}:{{port}}/v2/ping"}, {"host": "127.0.0.1", "port": server.port})
    assert handle == "success"
    assert len(received(server, "/v2/ping")) == 1


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:9100/steal?",
        "evil.test/",
        "user@evil.test",
        "evil.test#",
        "evil.test?",
        "a\\b",
        "a%2Fb",
        "a b",
        ":80",
    ],
)
def test_a_value_in_the_host_part_with_other_characters_is_not_sent(server, network, value):
    handle, updates, log = call({"url": "http://{{region}}.api.example.test/v1"}, {"region": value})
    assert (handle, updates) == ("failure", {})
    assert log.details["error"] == "unsafe_url_host"
    assert "{{region}}" in log.message and "host" in log.message
    assert network.connected == [] and server.log == []


def test_a_whole_url_in_a_variable_is_not_sent(server, network):
    handle, _, log = call({"url": "{{api}}/v2/ping"}, {"api": server.url_for("").rstrip("/")})
    assert handle == "failure"
    assert log.details["error"] == "unsafe_url_host"
    assert server.log == []


INJECTION = '"}, "admin": true, "x": "'


def test_json_body_values_are_escaped_so_they_cannot_add_keys(server):
    server.expect_request("/users", method="POST").respond_with_data("ok")
    body = '{"name": "{{name}}", "note": "said: {{quote}}"}'
    handle, _, _ = call(
        {"url": server.url_for("/users"), "method": "POST", "body": body},
        {"name": INJECTION, "quote": 'he said "hi"\n\\'},
    )
    assert handle == "success"
    request = received(server, "/users")[0]
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {"name": INJECTION, "note": 'said: he said "hi"\n\\'}


def test_a_placeholder_standing_alone_becomes_a_proper_json_value(server):
    server.expect_request("/", method="POST").respond_with_data("ok")
    body = """{"n": {{count}}, "price": {{price}}, "ok": {{flag}}, "none": {{missing}}, "name": {{name}},
              "tags": {{tags}}, "profile": {{profile}}, "list": [{{count}}, "{{count}}"]}"""
    handle, _, _ = call(
        {"url": server.url_for("/"), "method": "POST", "body": body},
        {"count": 3, "price": 2.5, "flag": False, "name": INJECTION, "tags": ["a", 1], "profile": {"k": "v"}},
    )
    assert handle == "success"
    assert received(server, "/")[0].get_json() == {
        "n": 3,
        "price": 2.5,
        "ok": False,
        "none": None,
        "name": INJECTION,
        "tags": ["a", 1],
        "profile": {"k": "v"},
        "list": [3, "3"],
    }


def test_a_backslash_before_a_placeholder_cannot_open_the_string(server):
    server.expect_request("/", method="POST").respond_with_data("ok")
    handle, _, _ = call(
        {"url": server.url_for("/"), "method": "POST", "body": '{"a": "x\\{{v}}"}'}, {"v": '", "admin": true, "y": "'}
    )
    assert handle == "success"
    assert received(server, "/")[0].get_json() == {"a": 'x\\", "admin": true, "y": "'}


def test_a_json_content_type_header_makes_the_body_json_and_is_kept(server):
    server.expect_request("/", method="PUT").respond_with_data("ok")
    call(
        {
            "url": server.url_for("/"),
            "method": "PUT",
            "headers": {"content-type": "application/vnd.api+json"},
            "body": '  "{{v}}"',
        },
        {"v": INJECTION},
    )
    request = received(server, "/")[0]
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert json.loads(request.get_data()) == INJECTION


def test_a_text_body_is_rendered_as_text(server):
    server.expect_request("/", method="POST").respond_with_data("ok")
    call(
        {
            "url": server.url_for("/"),
            "method": "POST",
            "headers": {"Content-Type": "text/plain"},
            "body": "Hello {{name}}!",
        },
        {"name": 'Ana "A"'},
    )
    request = received(server, "/")[0]
    assert request.get_data() == b'Hello Ana "A"!'
    assert request.headers["Content-Type"] == "text/plain"


def test_a_form_body_gets_url_encoded_values(server):
    server.expect_request("/", method="POST").respond_with_data("ok")
    call(
        {
            "url": server.url_for("/"),
            "method": "POST",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "body": "name={{name}}&plan=free",
        },
        {"name": "Ana&plan=pro"},
    )
    assert received(server, "/")[0].form.to_dict() == {"name": "Ana&plan=pro", "plan": "free"}


# --- API connections ----------------------------------------------------------------------------

BASIC = "Basic " + base64.b64encode(f"bot-user:{SECRET}".encode()).decode()
# (auth type, auth name, what the node tries to send itself, what the server must receive)
AUTH_CASES = [
    (
        "bearer",
        "",
        {"headers": {"authorization": "Bearer node"}},
        lambda r: r.headers["Authorization"] == f"Bearer {SECRET}",
    ),
    (
        "basic",
        "bot-user",
        {"headers": {"Authorization": "Basic bm9kZQ=="}},
        lambda r: r.headers["Authorization"] == BASIC,
    ),
    ("header", "X-Api-Key", {"headers": {"x-api-key": "node"}}, lambda r: r.headers["X-Api-Key"] == SECRET),
    (
        "query",
        "api_key",
        {"query": {"API_KEY": "node", "api_key": "node"}},
        lambda r: r.args.getlist("api_key") == [SECRET],
    ),
    ("none", "", {"headers": {"Authorization": "Bearer node"}}, lambda r: r.headers["Authorization"] == "Bearer node"),
]


@pytest.mark.parametrize(("auth_type", "auth_name", "node_sends", "check"), AUTH_CASES, ids=[c[0] for c in AUTH_CASES])
def test_a_connection_adds_its_base_url_and_auth_which_the_node_cannot_replace(
    server, session, user, auth_type, auth_name, node_sends, check
):
    connection = connection_of(user, server, auth_type=auth_type, auth_name=auth_name)
    server.expect_request("/v1/items/7").respond_with_json({"ok": True})
    handle, updates, log = call(
        {
            "url": "items/{{id}}",
            "connection": connection.pk,
            "query": {"page": "2", **node_sends.get("query", {})},
            "headers": node_sends.get("headers", {}),
            "mapping": [{"path": "ok", "variable": "ok"}],
        },
        {"id": 7},
        session_id=str(session.id),
    )
    assert (handle, updates) == ("success", {"ok": True})
    request = received(server, "/v1/items/7")[0]
    assert check(request)
    assert request.args.get("page") == "2"
    assert SECRET not in logged(log)
    assert log.details["url"].startswith(server.url_for("/v1/items/7?page=2"))


def test_connection_headers_are_sent_and_node_headers_override_them(server, session, user):
    connection = connection_of(user, server, headers={"X-Tenant": "acme", "Accept": "application/json"})
    server.expect_request("/v1/ping").respond_with_data("ok")
    call(
        {"url": "/ping", "connection": connection.pk, "headers": {"accept": "text/plain"}},
        session_id=str(session.id),
    )
    request = received(server, "/v1/ping")[0]
    assert request.headers["X-Tenant"] == "acme"
    assert request.headers["Accept"] == "text/plain"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/v1/items",
        "https://api.example.com/",
        "//evil.example/x",
        "javascript:alert(1)",
        "\\\\evil.example/x",
    ],
)
def test_an_absolute_node_url_with_a_connection_is_refused(server, session, user, network, url):
    connection = connection_of(user, server)
    handle, _, log = call(
        {"url": url.format(port=server.port), "connection": connection.pk},
        {"target": "http://evil.example/steal"},
        session_id=str(session.id),
    )
    assert handle == "failure"
    assert log.details["error"] == "absolute_url_with_connection"
    assert server.log == []
    assert network.connected == []


def test_a_variable_holding_a_url_stays_a_path_under_the_connections_base_url(server, session, user, network):
    connection = connection_of(user, server)
    server.expect_request("/v1/http%3A//evil.example/steal").respond_with_data("ok")
    server.expect_request("/v1/http://evil.example/steal").respond_with_data("ok")
    handle, _, _ = call(
        {"url": "{{target}}", "connection": connection.pk},
        {"target": "http://evil.example/steal"},
        session_id=str(session.id),
    )
    assert handle == "success"
    assert network.connected == [("127.0.0.1", server.port)]


def test_an_empty_node_url_with_a_connection_calls_its_base_url(server, session, user):
    connection = connection_of(user, server)
    server.expect_request("/v1").respond_with_data("ok")
    handle, _, _ = call({"url": "", "connection": connection.pk}, session_id=str(session.id))
    assert handle == "success"


def test_another_users_connection_fails_exactly_like_a_missing_one(server, session, other_user, network):
    foreign = connection_of(other_user, server)
    missing_id = foreign.pk + 1000
    outcomes = []
    for connection_id in (foreign.pk, missing_id, "nope"):
        handle, updates, log = call({"url": "/items", "connection": connection_id}, session_id=str(session.id))
        outcomes.append((handle, updates, log.level, log.message, log.details["error"]))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0][:3] == ("failure", {}, "warning")
    assert outcomes[0][4] == "connection_unavailable"
    assert server.log == []
    assert network.connected == []


def test_a_connection_is_looked_up_only_when_the_node_uses_one(server, session, user, django_assert_num_queries):
    connection = connection_of(user, server)
    server.expect_request("/v1/x").respond_with_data("ok")
    server.expect_request("/plain").respond_with_data("ok")
    with django_assert_num_queries(0):
        call({"url": server.url_for("/plain")}, session_id=str(session.id))
    with django_assert_num_queries(1):
        call({"url": "x", "connection": connection.pk}, session_id=str(session.id))


def test_a_connection_of_a_session_that_does_not_exist_is_unavailable(server, user):
    connection = connection_of(user, server)
    for session_id in (str(uuid.uuid4()), "not-a-uuid"):
        handle, _, log = call({"url": "x", "connection": connection.pk}, session_id=session_id)
        assert (handle, log.details["error"]) == ("failure", "connection_unavailable")


# --- Redaction ----------------------------------------------------------------------------------


def test_the_connection_secret_never_appears_in_the_log_even_when_echoed(server, session, user):
    connection = connection_of(user, server, auth_type="query", auth_name="key")

    def echo(request: Request) -> Response:
        return Response(json.dumps({"got": request.args.get("key"), "auth": request.headers.get("X-Echo")}), 500)

    server.expect_request("/v1/echo").respond_with_handler(echo)
    handle, _, log = call(
        {"url": "echo/" + "{{secret}}", "connection": connection.pk, "headers": {"X-Echo": "{{secret}}"}},
        {"secret": SECRET},
        session_id=str(session.id),
    )
    assert handle == "failure"
    text = logged(log)
    for spelling in (SECRET, "s3cr3t-T0ken%2F%2B%3Dvalue", "s3cr3t-T0ken/%2B%3Dvalue"):
        assert spelling not in text
    assert log.details["url"].endswith("?key=***")
    assert "***" in log.details["response_excerpt"]


@pytest.mark.parametrize("auth_type", ["bearer", "basic", "header"])
def test_auth_headers_never_appear_in_the_log(server, session, user, auth_type):
    connection = connection_of(user, server, auth_type=auth_type, auth_name="X-Key" if auth_type == "header" else "u")
    server.expect_request("/v1/x").respond_with_data("denied", status=401)
    _, _, log = call({"url": "x", "connection": connection.pk}, session_id=str(session.id))
    text = logged(log)
    assert SECRET not in text
    assert base64.b64encode(f"u:{SECRET}".encode()).decode() not in text
    assert "Authorization" not in text and "Bearer" not in text


def test_secret_looking_query_values_are_masked_in_the_log(server):
    server.expect_request("/").respond_with_data("ok")
    _, _, log = call(
        {
            "url": server.url_for("/") + "?access_token=abc123&page=1",
            "query": {"api_key": "k-999", "Signature": "sig-1", "password": "pw", "q": "visible"},
        }
    )
    assert log.details["url"] == server.url_for("/") + (
        "?access_token=***&page=1&api_key=***&Signature=***&password=***&q=visible"
    )
    text = logged(log)
    for value in ("abc123", "k-999", "sig-1", "pw&"):
        assert value not in text


def test_the_response_body_is_not_logged_on_success(server):
    server.expect_request("/").respond_with_json({"private": "visitor data"})
    _, _, log = call({"url": server.url_for("/"), "mapping": [{"path": "private", "variable": "p"}]})
    assert "visitor data" not in logged(log)


# --- Through the public chat API ----------------------------------------------------------------


def start(client, bot):
    return client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")


def reply(client, session_id, value):
    return client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json")


def http_graph(http_data: dict, *, before_input: bool = False) -> dict:
    """start -> [name input ->] http -> (success: ok | failure: ko) -> end."""
    nodes = [
        node("start", "start"),
        node("http", "http_request", **http_data),
        node("ok", "message", text="Found {{city}} ({{code}})"),
        node("ko", "message", text="Sorry, failed ({{code}})"),
        node("end", "end"),
    ]
    edges = [edge("http", "ok", "success"), edge("http", "ko", "failure"), edge("ok", "end"), edge("ko", "end")]
    if before_input:
        nodes.insert(1, node("name", "text_input", prompt="Name?", variable="name"))
        edges += [edge("start", "name"), edge("name", "http")]
    else:
        edges.append(edge("start", "http"))
    variables = [{"name": n, "default": None} for n in ("city", "code", "name", "zip")]
    return {"nodes": nodes, "edges": edges, "variables": variables}


def test_chat_follows_success_and_shows_only_mapped_values(api_client, server, user):
    server.expect_request("/geo/1000").respond_with_json({"place": {"city": "Lisbon"}, "secret_field": "hidden"})
    bot = published_bot(
        owner=user,
        graph=http_graph(
            {
                "url": server.url_for("/geo/1000"),
                "mapping": [{"path": "place.city", "variable": "city"}, {"path": "status", "variable": "code"}],
            }
        ),
    )
    response = start(api_client, bot)
    assert response.status_code == 201
    body = response.json()
    assert [m["text"] for m in body["messages"]] == ["Found Lisbon (200)"]
    assert body["status"] == "completed"
    assert "hidden" not in response.content.decode()
    session = ChatSession.objects.get(pk=body["session_id"])
    assert session.variables["city"] == "Lisbon"
    (log,) = ExecutionLog.objects.filter(session=session, node_id="http")
    assert (log.level, log.node_type, log.details["status"]) == ("info", "http_request", 200)


def test_chat_follows_failure_on_a_server_error(api_client, server, user):
    server.expect_request("/geo").respond_with_data("upstream exploded", status=502)
    bot = published_bot(
        owner=user,
        graph=http_graph({"url": server.url_for("/geo"), "mapping": [{"path": "status", "variable": "code"}]}),
    )
    response = start(api_client, bot)
    assert response.status_code == 201
    assert [m["text"] for m in response.json()["messages"]] == ["Sorry, failed (502)"]
    assert "upstream exploded" not in response.content.decode()
    log = ExecutionLog.objects.get(node_id="http")
    assert (log.level, log.details["error"]) == ("warning", "http_status")


def test_chat_follows_failure_for_a_private_address_without_connecting(api_client, user, dns, network):
    dns.answers["internal.example"] = ["192.168.0.10"]
    bot = published_bot(owner=user, graph=http_graph({"url": "http://internal.example/"}))
    response = start(api_client, bot)
    assert response.status_code == 201
    assert [m["text"] for m in response.json()["messages"]] == ["Sorry, failed ()"]
    assert network.connected == []
    assert ExecutionLog.objects.get(node_id="http").details["error"] == "blocked"


def test_chat_uses_the_owners_connection_with_the_visitors_answer_escaped(api_client, server, user):
    connection = connection_of(user, server, auth_type="header", auth_name="X-Api-Key")
    server.expect_request("/v1/lookup", method="POST").respond_with_json({"city": "Porto"})
    bot = published_bot(
        owner=user,
        graph=http_graph(
            {
                "method": "POST",
                "url": "lookup",
                "connection": connection.pk,
                "body": '{"name": "{{name}}"}',
                "mapping": [{"path": "city", "variable": "city"}, {"path": "status", "variable": "code"}],
            },
            before_input=True,
        ),
    )
    session_id = start(api_client, bot).json()["session_id"]
    response = reply(api_client, session_id, INJECTION)
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["messages"]] == ["Found Porto (200)"]
    request = received(server, "/v1/lookup")[0]
    assert request.get_json() == {"name": INJECTION}
    assert request.headers["X-Api-Key"] == SECRET
    assert SECRET not in json.dumps(list(ExecutionLog.objects.values("message", "details")))


def test_chat_uses_the_owners_connection_on_the_first_turn(api_client, server, user):
    # Needs the session row to exist while its first turn runs (see the report on services._start).
    connection = connection_of(user, server)
    server.expect_request("/v1/geo").respond_with_json({"city": "Faro"})
    bot = published_bot(
        owner=user,
        graph=http_graph(
            {"url": "geo", "connection": connection.pk, "mapping": [{"path": "city", "variable": "city"}]}
        ),
    )
    response = start(api_client, bot)
    assert response.status_code == 201
    assert [m["text"] for m in response.json()["messages"]] == ["Found Faro ()"]
    assert received(server, "/v1/geo")[0].headers["Authorization"] == f"Bearer {SECRET}"


def test_chat_refuses_another_users_connection(api_client, server, user, other_user):
    foreign = connection_of(other_user, server)
    bot = published_bot(
        owner=user,
        graph=http_graph({"url": "geo", "connection": foreign.pk}, before_input=True),
    )
    session_id = start(api_client, bot).json()["session_id"]
    response = reply(api_client, session_id, "Ana")
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["messages"]] == ["Sorry, failed ()"]
    assert server.log == []
    assert ExecutionLog.objects.get(node_id="http").details["error"] == "connection_unavailable"


def test_a_visitors_answer_cannot_send_the_owners_key_to_another_host(api_client, server, user, dns, settings):
    """The answer `127.0.0.1:<canary>/steal?` in the host part once sent the request, with the
    owner's X-Api-Key, to the canary; now the node fails and the canary hears nothing."""
    canary = HTTPServer(host="127.0.0.1", port=0)
    canary.start()
    try:
        canary.expect_request("/steal").respond_with_data("stolen")
        # Both let through the guard: the canary stands for any public host a visitor could name.
        settings.OUTBOUND_ALLOWED_HOSTS = [f"eu.api.example.test:{server.port}", f"127.0.0.1:{canary.port}"]
        dns.answers["eu.api.example.test"] = ["127.0.0.1"]
        server.expect_request("/v1/lookup").respond_with_json({"city": "Porto"})
        url = f"http://{{{{name}}}}.api.example.test:{server.port}/v1/lookup"
        graph = http_graph(
            {"url": url, "headers": {"X-Api-Key": "owner-key"}, "mapping": [{"path": "city", "variable": "city"}]},
            before_input=True,
        )
        bot = published_bot(owner=user, graph=graph)

        session_id = start(api_client, bot).json()["session_id"]
        stolen = reply(api_client, session_id, f"127.0.0.1:{canary.port}/steal?")
        assert [m["text"] for m in stolen.json()["messages"]] == ["Sorry, failed ()"]
        assert canary.log == []
        assert server.log == []
        log = ExecutionLog.objects.get(session_id=session_id, node_id="http")
        assert (log.level, log.details["error"]) == ("warning", "unsafe_url_host")

        session_id = start(api_client, bot).json()["session_id"]
        honest = reply(api_client, session_id, "eu")
        assert [m["text"] for m in honest.json()["messages"]] == ["Found Porto ()"]
        assert received(server, "/v1/lookup")[0].headers["X-Api-Key"] == "owner-key"
        assert canary.log == []
    finally:
        canary.clear()
        canary.stop()
