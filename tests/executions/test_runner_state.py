import json
from dataclasses import FrozenInstanceError

import pytest

from executions.runner import (
    Answer,
    BotMessage,
    CallPoint,
    Frame,
    InputRequest,
    LogEntry,
    SessionState,
    StateError,
    TurnResult,
)
from tests.executions.snapshots import chain, node, reply, start


def test_session_state_round_trips_through_json():
    state = SessionState(
        status="active",
        flow_id="1",
        node_id="q",
        variables={"name": "Ana", "items": ["a", "b"], "n": 2.5, "flag": True, "none": None},
        stack=(Frame("1", "n9"), Frame("2", None)),
        counters={"emails_sent": 2},
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data == {
        "status": "active",
        "flow_id": "1",
        "node_id": "q",
        "variables": {"name": "Ana", "items": ["a", "b"], "n": 2.5, "flag": True, "none": None},
        "stack": [{"flow_id": "1", "return_node": "n9"}, {"flow_id": "2", "return_node": None}],
        "counters": {"emails_sent": 2},
        "call": None,
    }
    assert SessionState.from_dict(data) == state


def test_a_state_stopped_at_a_call_round_trips_through_json():
    state = SessionState(status="active", flow_id="1", node_id=None, variables={"x": 1}, call=CallPoint("h", steps=3))
    data = json.loads(json.dumps(state.to_dict()))
    assert data["call"] == {"node_id": "h", "steps": 3}
    restored = SessionState.from_dict(data)
    assert restored == state
    assert restored.awaiting_call and not restored.awaiting_input


def test_session_state_is_immutable():
    state = SessionState(status="completed", flow_id="1", node_id=None, variables={"a": 1})
    with pytest.raises(FrozenInstanceError):
        state.status = "active"
    with pytest.raises(TypeError):
        state.variables["a"] = 2  # type: ignore[index]


def test_session_state_copies_the_mappings_it_is_given():
    variables = {"a": 1}
    state = SessionState(status="active", flow_id="1", node_id="q", variables=variables)
    variables["a"] = 2
    assert state.variables["a"] == 1


def test_session_state_refuses_an_unknown_status_and_malformed_dicts():
    with pytest.raises(StateError):
        SessionState(status="paused", flow_id="1", node_id=None, variables={})
    with pytest.raises(StateError):
        SessionState.from_dict({"flow_id": "1"})
    with pytest.raises(StateError):
        SessionState.from_dict({"status": "active", "flow_id": "1", "stack": [{"nope": 1}]})


def test_a_real_turn_state_round_trips():
    snapshot = chain(
        node("s", "start"),
        node("q", "text_input", variable="name"),
        node("m", "message", text="Hi {{name}}"),
        variables={"name": None},
    )
    first = start(snapshot)
    restored = SessionState.from_dict(json.loads(json.dumps(first.state.to_dict())))
    assert restored == first.state
    assert reply(snapshot, restored, "Ana").messages[0].text == "Hi Ana"


def test_text_message_to_dict_has_the_contract_shape():
    assert BotMessage(node_id="n2", type="text", text="Hi").to_dict() == {"node_id": "n2", "type": "text", "text": "Hi"}


def test_media_message_to_dict_carries_url_and_extras():
    message = BotMessage(node_id="n3", type="video", url="https://v.example/a.mp4", extra={"height": 400})
    assert message.to_dict() == {"node_id": "n3", "type": "video", "url": "https://v.example/a.mp4", "height": 400}


def test_input_request_to_dict_omits_choices_unless_given():
    plain = InputRequest(node_id="q", type="email_input", options={"placeholder": ""})
    assert plain.to_dict() == {"node_id": "q", "type": "email_input", "options": {"placeholder": ""}}
    choice = InputRequest(node_id="c", type="choice", options={"multiple": False}, choices=({"id": "a", "label": "A"},))
    assert choice.to_dict()["choices"] == [{"id": "a", "label": "A"}]


def test_log_entry_refuses_unknown_levels():
    with pytest.raises(ValueError, match="level"):
        LogEntry(node_id="n", node_type="message", level="fatal", message="x")


def test_turn_result_to_dict_is_json_serialisable():
    result = TurnResult(
        state=SessionState(status="completed", flow_id="1", node_id=None, variables={}),
        messages=(BotMessage(node_id="m", type="text", text="Bye"),),
        logs=(LogEntry(node_id="m", node_type="message", level="debug", message="x", details={"a": 1}),),
        answer=Answer(node_id="q", variable="v", raw="x", parsed="x", valid=True, error=None),
        flow_transitions=(("exit", "1"),),
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["messages"] == [{"node_id": "m", "type": "text", "text": "Bye"}]
    assert data["flow_transitions"] == [["exit", "1"]]
    assert data["answer"]["parsed"] == "x"
    assert result.status == "completed"
