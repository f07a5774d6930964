from executions.runner import LogEntry
from tests.executions.snapshots import chain, make_snapshot, node, start, texts

HTTP_DATA = {"method": "POST", "url": "https://api.example/{{id}}", "body": '{"name": "{{name}}"}'}


def http_snapshot():
    nodes = [
        node("s", "start"),
        node("h", "http_request", **HTTP_DATA),
        node("ok", "message", text="ok {{city}}"),
        node("ko", "message", text="failed"),
    ]
    edges = [("s", "h"), ("h", "success", "ok"), ("h", "failure", "ko")]
    return make_snapshot(nodes, edges, variables={"id": 7, "name": "Ana", "city": None})


def test_http_request_success_stores_the_updates_and_follows_success():
    calls = []

    def http(node_id, data, variables):
        calls.append((node_id, data, dict(variables)))
        log = LogEntry(node_id="?", node_type="?", level="info", message="POST 200", duration_ms=12)
        return "success", {"city": "Lisbon"}, log

    result = start(http_snapshot(), http=http)
    assert texts(result) == ["ok Lisbon"]
    assert result.state.variables["city"] == "Lisbon"
    (node_id, data, variables) = calls[0]
    assert node_id == "h"
    assert data["url"] == "https://api.example/{{id}}"  # raw: the integration renders
    assert data["method"] == "POST"
    assert variables == {"id": 7, "name": "Ana", "city": None}
    assert [log.to_dict() for log in result.logs] == [
        {
            "node_id": "h",
            "node_type": "http_request",
            "level": "info",
            "message": "POST 200",
            "details": {},
            "duration_ms": 12,
        }
    ]


def test_the_http_callable_cannot_change_the_snapshot():
    snapshot = http_snapshot()

    def http(node_id, data, variables):
        data["url"] = "https://evil.example"
        return "success", {}, None

    start(snapshot, http=http)
    assert snapshot["flows"]["1"]["nodes"]["h"]["data"]["url"] == HTTP_DATA["url"]


def test_http_request_failure_follows_failure():
    def http(node_id, data, variables):
        return "failure", {}, {"level": "warning", "message": "HTTP 500"}

    result = start(http_snapshot(), http=http)
    assert texts(result) == ["failed"]
    assert [(log.node_id, log.level, log.message) for log in result.logs] == [("h", "warning", "HTTP 500")]


def test_an_exception_in_the_http_callable_follows_failure_with_an_error_log():
    def http(node_id, data, variables):
        raise TimeoutError("read timed out")

    result = start(http_snapshot(), http=http)
    assert texts(result) == ["failed"]
    assert result.status == "completed"
    assert [log.level for log in result.logs] == ["error"]
    assert "read timed out" in result.logs[0].message


def test_an_unknown_outcome_from_the_http_callable_follows_failure():
    result = start(http_snapshot(), http=lambda *args: ("maybe", {"city": "x"}, None))
    assert texts(result) == ["failed"]
    assert result.state.variables["city"] is None


def test_invalid_variable_names_from_the_http_callable_are_not_stored():
    result = start(http_snapshot(), http=lambda *args: ("success", {"city": "Porto", "bad name": 1}, None))
    assert result.state.variables["city"] == "Porto"
    assert "bad name" not in result.state.variables
    assert [log.level for log in result.logs] == ["warning"]


def test_without_an_http_callable_the_request_fails_with_a_warning():
    result = start(http_snapshot())
    assert texts(result) == ["failed"]
    assert [(log.level, log.message) for log in result.logs] == [
        ("warning", "HTTP requests are not available here; following `failure`.")
    ]


def email_snapshot():
    return chain(
        node("s", "start"),
        node("e1", "send_email", to="{{email}}", subject="Hi", body="Hello {{name}}"),
        node("e2", "send_email", to="boss@example.com"),
        node("m", "message", text="done"),
        variables={"email": "ana@example.com", "name": "Ana"},
    )


def test_send_email_calls_the_callable_counts_and_continues():
    calls = []

    def send_email(node_id, data, variables):
        calls.append((node_id, data["to"], variables["email"]))
        return LogEntry(node_id=node_id, node_type="send_email", level="info", message="sent")

    result = start(email_snapshot(), send_email=send_email)
    assert calls == [("e1", "{{email}}", "ana@example.com"), ("e2", "boss@example.com", "ana@example.com")]
    assert result.state.counters["emails_sent"] == 2
    assert texts(result) == ["done"]
    assert [log.message for log in result.logs] == ["sent", "sent"]


def test_a_failed_email_is_logged_not_counted_and_the_flow_continues():
    outcomes = iter([ConnectionRefusedError("smtp down"), LogEntry("e2", "send_email", "error", "rejected")])

    def send_email(node_id, data, variables):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = start(email_snapshot(), send_email=send_email)
    assert texts(result) == ["done"]
    assert result.state.counters.get("emails_sent", 0) == 0
    assert [(log.node_id, log.level) for log in result.logs] == [("e1", "error"), ("e2", "error")]
    assert "smtp down" in result.logs[0].message


def test_without_an_email_callable_nothing_is_sent_and_the_flow_continues():
    result = start(email_snapshot())
    assert texts(result) == ["done"]
    assert [log.level for log in result.logs] == ["warning", "warning"]
    assert "emails_sent" not in result.state.counters
