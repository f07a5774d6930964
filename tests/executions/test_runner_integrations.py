import pytest

from executions.runner import CallOutcome, LogEntry, NotAwaitingInput, run_resume
from tests.executions.snapshots import chain, context, make_snapshot, node, start, texts

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


def test_a_turn_stops_at_an_http_request_with_what_the_call_needs():
    snapshot = http_snapshot()
    result = start(snapshot)
    assert result.status == "active"
    assert result.input is None
    assert result.state.node_id is None
    assert result.state.call.to_dict() == {"node_id": "h", "steps": 2}  # start, then h
    call = result.call
    assert (call.node_id, call.type) == ("h", "http_request")
    assert call.data["url"] == HTTP_DATA["url"]
    assert dict(call.variables) == {"id": 7, "name": "Ana", "city": None}
    # What the turn stops with survives being stored and read back.
    state = type(result.state).from_dict(result.state.to_dict())
    resumed = run_resume(snapshot, state, CallOutcome("success", {"city": "Faro"}), context=context())
    assert texts(resumed) == ["ok Faro"]
    assert resumed.status == "completed"


def test_the_step_limit_spans_the_stops_at_calls():
    # start -> h (http) -> back to h on either handle: a loop whose every turn part is short.
    snapshot = make_snapshot(
        [node("s", "start"), node("h", "http_request", url="https://api.example/")],
        [("s", "h"), ("h", "success", "h"), ("h", "failure", "h")],
    )
    result = start(snapshot, http=lambda *args: ("failure", {}, None), max_steps=10)
    assert result.status == "failed"
    assert result.call is None
    assert "more than 10 steps" in result.logs[-1].message


def test_resuming_a_state_that_waits_for_no_call_is_refused():
    snapshot = http_snapshot()
    finished = start(snapshot, http=lambda *args: ("success", {}, None))
    with pytest.raises(NotAwaitingInput):
        run_resume(snapshot, finished.state, CallOutcome("success"), context=context())


def test_an_unknown_outcome_from_the_http_callable_follows_failure():
    result = start(http_snapshot(), http=lambda *args: ("maybe", {"city": "x"}, None))
    assert texts(result) == ["failed"]
    assert result.state.variables["city"] is None


def test_invalid_variable_names_from_the_http_callable_are_not_stored():
    result = start(http_snapshot(), http=lambda *args: ("success", {"city": "Porto", "bad name": 1}, None))
    assert result.state.variables["city"] == "Porto"
    assert "bad name" not in result.state.variables
    assert [log.level for log in result.logs] == ["warning"]


def email_snapshot():
    return chain(
        node("s", "start"),
        node("e1", "send_email", to="{{email}}", subject="Hi", body="Hello {{name}}"),
        node("e2", "send_email", to="boss@example.com"),
        node("m", "message", text="done"),
        variables={"email": "ana@example.com", "name": "Ana"},
    )


def test_send_email_composes_each_email_counts_it_and_continues():
    calls = []

    def compose_email(node_id, data, variables):
        calls.append((node_id, data["to"], variables["email"]))
        log = LogEntry(node_id=node_id, node_type="send_email", level="info", message="queued")
        return log, {"to": [variables["email"]], "subject": data["subject"], "body": "", "reply_to": ""}

    result = start(email_snapshot(), compose_email=compose_email)
    assert calls == [("e1", "{{email}}", "ana@example.com"), ("e2", "boss@example.com", "ana@example.com")]
    assert result.state.counters["emails_sent"] == 2
    assert texts(result) == ["done"]
    assert [log.message for log in result.logs] == ["queued", "queued"]
    assert [dict(email) for email in result.emails] == [
        {"node_id": "e1", "to": ["ana@example.com"], "subject": "Hi", "body": "", "reply_to": ""},
        {"node_id": "e2", "to": ["ana@example.com"], "subject": "", "body": "", "reply_to": ""},
    ]


def test_an_email_that_cannot_be_composed_is_logged_not_counted_and_the_flow_continues():
    outcomes = iter([ConnectionRefusedError("bad template"), (LogEntry("e2", "send_email", "error", "rejected"), None)])

    def compose_email(node_id, data, variables):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = start(email_snapshot(), compose_email=compose_email)
    assert texts(result) == ["done"]
    assert result.state.counters.get("emails_sent", 0) == 0
    assert result.emails == ()
    assert [(log.node_id, log.level) for log in result.logs] == [("e1", "error"), ("e2", "error")]
    assert "bad template" in result.logs[0].message


def test_without_an_email_composer_nothing_is_sent_and_the_flow_continues():
    result = start(email_snapshot())
    assert texts(result) == ["done"]
    assert result.emails == ()
    assert [log.level for log in result.logs] == ["warning", "warning"]
    assert "emails_sent" not in result.state.counters
