import random
from collections.abc import Mapping

import pytest

from executions.runner import NotAwaitingInput, RunContext, SessionState, SnapshotError, run_start
from tests.executions.snapshots import NOW, chain, context, make_flow, make_snapshot, node, reply, start, texts


def say(node_id, text=None):
    return node(node_id, "message", text=text or node_id)


# --- start, end, dead ends -------------------------------------------------------------------


def test_start_walks_to_the_first_input():
    snapshot = chain(node("s", "start"), say("a"), say("b"), node("q", "text_input"), say("c"))
    result = start(snapshot)
    assert texts(result) == ["a", "b"]
    assert result.state.status == "active"
    assert result.state.node_id == "q"
    assert result.flow_transitions == (("enter", "1"),)


def test_an_end_node_completes_the_session():
    snapshot = chain(node("s", "start"), say("a"), node("e", "end"), say("never"))
    result = start(snapshot)
    assert texts(result) == ["a"]
    assert result.status == "completed"
    assert result.state.node_id is None
    assert result.input is None
    assert result.flow_transitions == (("enter", "1"), ("exit", "1"))


def test_a_dead_end_completes_the_session():
    result = start(chain(node("s", "start"), say("a")))
    assert result.status == "completed"
    assert result.flow_transitions == (("enter", "1"), ("exit", "1"))


def test_replying_to_a_completed_session_raises_not_awaiting_input():
    snapshot = chain(node("s", "start"), say("a"))
    completed = start(snapshot).state
    with pytest.raises(NotAwaitingInput):
        reply(snapshot, completed, "hi")


def test_replying_to_a_failed_session_raises_not_awaiting_input():
    state = SessionState(status="failed", flow_id="1", node_id=None, variables={})
    with pytest.raises(NotAwaitingInput):
        reply(chain(node("s", "start")), state, "hi")


def test_a_reply_whose_pending_node_is_not_an_input_of_the_snapshot_is_a_snapshot_error():
    snapshot = chain(node("s", "start"), say("a"))
    for node_id in ("a", "ghost"):
        state = SessionState(status="active", flow_id="1", node_id=node_id, variables={})
        with pytest.raises(SnapshotError):
            reply(snapshot, state, "hi")


@pytest.mark.parametrize(
    "snapshot",
    [
        None,
        {"format": 2, "flows": {}},
        {"format": 1, "main_flow": "1"},
        {"format": 1, "main_flow": "9", "flows": {}},
        {"format": 1, "main_flow": "1", "flows": {"1": {"name": "Main", "start": None, "nodes": {}}}},
    ],
)
def test_a_malformed_snapshot_is_a_snapshot_error(snapshot):
    with pytest.raises(SnapshotError):
        run_start(snapshot, context=context())


# --- prefill ---------------------------------------------------------------------------------


def test_prefill_overrides_declared_variables_only_and_keeps_scalars():
    snapshot = chain(
        node("s", "start"),
        node("m", "message", text="{{name}} {{age}} {{vip}}"),
        variables={"name": None, "age": 0, "vip": False, "tags": None, "nothing": "default"},
    )
    result = start(
        snapshot,
        variables={"name": "Ana", "age": 30, "vip": True, "tags": ["a", "b"], "nothing": None, "hacker": "x"},
    )
    assert dict(result.state.variables) == {"name": "Ana", "age": 30, "vip": True, "tags": "a, b", "nothing": None}
    assert texts(result) == ["Ana 30 true"]


def test_prefill_refuses_non_finite_numbers_and_huge_text():
    snapshot = chain(node("s", "start"), variables={"a": 1, "b": None})
    variables = start(snapshot, variables={"a": float("nan"), "b": "x" * 20_000}).state.variables
    assert variables["a"] is None
    assert len(variables["b"]) == 10_000


def test_the_snapshot_is_never_modified():
    import copy

    snapshot = chain(
        node("s", "start"),
        node("x", "set_variable", variable="items", operation="append", value="a"),
        node("q", "choice", variable="pick", options=[{"id": "a", "label": "A"}]),
        variables={"items": ["seed"], "pick": None},
    )
    before = copy.deepcopy(snapshot)
    state = start(snapshot).state
    reply(snapshot, state, "a")
    assert snapshot == before


# --- jump ------------------------------------------------------------------------------------


def test_jump_continues_at_the_target_of_the_same_flow():
    snapshot = make_snapshot(
        [node("s", "start"), node("j", "jump", target="b"), say("a"), say("b")], [("s", "j"), ("a", "b")]
    )
    assert texts(start(snapshot)) == ["b"]


def test_jump_to_a_missing_node_fails_the_session_with_an_error_log():
    snapshot = chain(node("s", "start"), node("j", "jump", target="nowhere"))
    result = start(snapshot)
    assert result.status == "failed"
    assert result.input is None
    assert len(result.messages) == 1
    assert "can't continue" in result.messages[0].text
    errors = [log for log in result.logs if log.level == "error"]
    assert [(log.node_id, log.node_type) for log in errors] == [("j", "jump")]
    assert "'nowhere' does not exist" in errors[0].message


def test_an_edge_to_a_missing_node_fails_the_session():
    snapshot = make_snapshot([node("s", "start")], [("s", "ghost")])
    result = start(snapshot)
    assert result.status == "failed"
    assert "does not exist" in result.logs[-1].message


# --- flow_link -------------------------------------------------------------------------------


def linked(node_id="2", *extra_nodes, name="Sub"):
    """A flow `start → message '<node_id>:hi' → extra_nodes…`."""
    nodes = [node(f"{node_id}s", "start"), say(f"{node_id}m", f"{node_id}:hi"), *extra_nodes]
    return make_flow(nodes, name=name, chain=True)


def test_flow_link_with_return_runs_the_flow_and_comes_back():
    snapshot = chain(
        node("s", "start"), node("l", "flow_link", flow=2, return_after=True), say("after"), flows={"2": linked("2")}
    )
    result = start(snapshot)
    assert texts(result) == ["2:hi", "after"]
    assert result.status == "completed"
    assert result.flow_transitions == (("enter", "1"), ("enter", "2"), ("exit", "2"), ("exit", "1"))


def test_flow_link_without_return_leaves_the_calling_flow():
    snapshot = chain(
        node("s", "start"), node("l", "flow_link", flow=2, return_after=False), say("after"), flows={"2": linked("2")}
    )
    result = start(snapshot)
    assert texts(result) == ["2:hi"]
    assert result.flow_transitions == (("enter", "1"), ("exit", "1"), ("enter", "2"), ("exit", "2"))


def test_an_input_inside_a_linked_flow_keeps_the_stack_across_turns():
    flows = {"2": linked("2", node("2q", "text_input", variable="name"), say("2e", "thanks {{name}}"))}
    snapshot = chain(
        node("s", "start"), node("l", "flow_link", flow=2), say("back"), flows=flows, variables={"name": None}
    )
    first = start(snapshot)
    assert first.state.flow_id == "2"
    assert first.state.node_id == "2q"
    assert [frame.to_dict() for frame in first.state.stack] == [{"flow_id": "1", "return_node": "back"}]
    second = reply(snapshot, SessionState.from_dict(first.state.to_dict()), "Ana")
    assert texts(second) == ["thanks Ana", "back"]
    assert second.status == "completed"
    assert second.state.stack == ()
    assert second.flow_transitions == (("exit", "2"), ("exit", "1"))


def test_nested_flow_links_return_in_order():
    flows = {
        "2": linked("2", node("2l", "flow_link", flow=3), say("2after")),
        "3": linked("3"),
    }
    snapshot = chain(node("s", "start"), node("l", "flow_link", flow=2), say("1after"), flows=flows)
    result = start(snapshot)
    assert texts(result) == ["2:hi", "3:hi", "2after", "1after"]
    assert result.flow_transitions == (
        ("enter", "1"),
        ("enter", "2"),
        ("enter", "3"),
        ("exit", "3"),
        ("exit", "2"),
        ("exit", "1"),
    )


def test_a_flow_link_with_return_but_no_next_ends_the_caller_too():
    flows = {"2": linked("2", node("2l", "flow_link", flow=3)), "3": linked("3")}
    snapshot = chain(node("s", "start"), node("l", "flow_link", flow=2), say("1after"), flows=flows)
    result = start(snapshot)
    assert texts(result) == ["2:hi", "3:hi", "1after"]
    assert result.flow_transitions[-3:] == (("exit", "3"), ("exit", "2"), ("exit", "1"))


def test_an_end_node_inside_a_linked_flow_ends_the_whole_conversation():
    flows = {"2": linked("2", node("2e", "end"))}
    snapshot = chain(node("s", "start"), node("l", "flow_link", flow=2), say("never"), flows=flows)
    result = start(snapshot)
    assert texts(result) == ["2:hi"]
    assert result.status == "completed"
    assert result.flow_transitions == (("enter", "1"), ("enter", "2"), ("exit", "2"), ("exit", "1"))


def test_a_link_to_an_unknown_flow_fails_the_session():
    snapshot = chain(node("s", "start"), node("l", "flow_link", flow=99))
    result = start(snapshot)
    assert result.status == "failed"
    assert result.logs[-1].level == "error"
    assert "'99'" in result.logs[-1].message


def test_recursive_flow_links_are_stopped_by_the_depth_guard():
    flows = {"2": make_flow([node("2s", "start"), node("2l", "flow_link", flow=2), say("2x")], chain=True)}
    snapshot = chain(node("s", "start"), node("l", "flow_link", flow=2), flows=flows)
    result = start(snapshot)
    assert result.status == "failed"
    assert "levels deep" in result.logs[-1].message
    assert len(result.state.stack) == 20


# --- ab_test ---------------------------------------------------------------------------------


def ab_snapshot(percent_a):
    nodes = [node("s", "start"), node("t", "ab_test", percent_a=percent_a), say("a"), say("b")]
    return make_snapshot(nodes, [("s", "t"), ("t", "a", "a"), ("t", "b", "b")])


def test_ab_test_splits_by_percent_with_the_context_rng():
    snapshot = ab_snapshot(30)
    shared = RunContext(session_id="s", now=NOW, rng=random.Random(42))
    taken = [run_start(snapshot, context=shared).messages[0].text for _ in range(1000)]
    share_a = taken.count("a") / 1000
    assert 0.26 < share_a < 0.34


@pytest.mark.parametrize(("percent", "expected"), [(0, "b"), (100, "a")])
def test_ab_test_extremes_always_take_one_side(percent, expected):
    assert {texts(start(ab_snapshot(percent), seed=seed))[0] for seed in range(20)} == {expected}


def test_ab_test_is_reproducible_with_the_same_seed():
    assert texts(start(ab_snapshot(50), seed=3)) == texts(start(ab_snapshot(50), seed=3))


# --- the step limit --------------------------------------------------------------------------


def loop_snapshot():
    nodes = [
        node("s", "start"),
        node("inc", "set_variable", variable="count", operation="expression", value="count + 1"),
        node("j", "jump", target="inc"),
    ]
    return make_snapshot(nodes, [("s", "inc"), ("inc", "j")], variables={"count": 0})


def test_a_loop_without_input_fails_the_session_after_max_steps():
    result = start(loop_snapshot(), max_steps=11)
    # start, then inc/j pairs: steps 2..11 run five increments; step 12 (an `inc`) is refused.
    assert result.status == "failed"
    assert result.state.variables["count"] == 5
    assert texts(result) == [
        "This conversation stopped because the bot was stuck in a loop: "
        "it ran more than 11 steps without waiting for an answer."
    ]
    errors = [log for log in result.logs if log.level == "error"]
    assert len(errors) == 1
    assert errors[0].node_id == "inc"
    assert "'inc'" in errors[0].message
    assert errors[0].details["steps"] == 12


def test_the_default_step_limit_stops_a_loop_quickly():
    import time

    began = time.perf_counter()
    result = start(loop_snapshot())
    assert result.status == "failed"
    assert result.state.variables["count"] == 100  # 200 steps: start + 99.5 loops
    assert time.perf_counter() - began < 1
    assert len(result.logs) <= 4  # one debug per node, plus the error


def test_a_loop_that_exits_on_a_counter_is_fine():
    nodes = [
        node("s", "start"),
        node("inc", "set_variable", variable="count", operation="expression", value="count + 1"),
        node(
            "c",
            "condition",
            branches=[{"id": "done", "rules": [{"variable": "count", "operator": "greater_or_equal", "value": "5"}]}],
        ),
        node("j", "jump", target="inc"),
        node("m", "message", text="count={{count}}"),
    ]
    edges = [("s", "inc"), ("inc", "c"), ("c", "done", "m"), ("c", "else", "j")]
    result = start(make_snapshot(nodes, edges, variables={"count": 0}))
    assert result.status == "completed"
    assert texts(result) == ["count=5"]


def test_the_step_count_starts_again_on_every_turn():
    nodes = [
        node("s", "start"),
        say("a"),
        say("b"),
        node("q", "text_input"),
        say("c"),
        say("d"),
        node("q2", "text_input"),
    ]
    snapshot = chain(*nodes)
    first = start(snapshot, max_steps=3)
    assert first.status == "active"
    second = reply(snapshot, first.state, "x", max_steps=2)
    assert second.status == "active"
    assert second.state.node_id == "q2"


def test_an_empty_message_is_skipped_but_counts_as_a_step():
    snapshot = chain(node("s", "start"), node("m", "message", text="{{unset}}  "), say("x"))
    assert texts(start(snapshot)) == ["x"]
    assert start(snapshot, max_steps=2).status == "failed"


# --- cost ------------------------------------------------------------------------------------


class NoScanDict(dict):
    """A node table that fails the test if anything iterates it."""

    def __iter__(self):
        raise AssertionError("the runner scanned the nodes of a flow")

    def keys(self):
        raise AssertionError("the runner scanned the nodes of a flow")

    def values(self):
        raise AssertionError("the runner scanned the nodes of a flow")

    def items(self):
        raise AssertionError("the runner scanned the nodes of a flow")


def test_a_turn_looks_nodes_up_by_id_and_never_scans_the_flow():
    nodes = [node("s", "start"), node("q", "text_input", variable="v"), node("j", "jump", target="m"), say("m")]
    nodes += [say(f"filler{i}") for i in range(5000)]
    snapshot = make_snapshot(nodes, [("s", "q"), ("q", "j")], variables={"v": None})
    snapshot["flows"]["1"]["nodes"] = NoScanDict(snapshot["flows"]["1"]["nodes"])
    assert isinstance(snapshot["flows"]["1"]["nodes"], Mapping)
    first = start(snapshot)
    second = reply(snapshot, first.state, "x")
    assert texts(second) == ["m"]


# --- robustness ------------------------------------------------------------------------------


def test_a_handler_that_raises_fails_the_session_instead_of_the_worker(monkeypatch):
    from executions.runner.handlers.message import Message

    def broken(self, node, turn):
        raise KeyError("bug")

    monkeypatch.setattr(Message, "execute", broken)
    result = start(chain(node("s", "start"), say("a")))
    assert result.status == "failed"
    assert result.logs[-1].level == "error"
    assert "KeyError" in result.logs[-1].message


def test_a_parser_that_raises_asks_again_and_logs_an_error(monkeypatch):
    def broken(value, data, *, now):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("executions.runner.inputs.parse_date", broken)
    snapshot = chain(node("s", "start"), node("q", "date_input", retry_message="Again?"))
    first = start(snapshot)
    result = reply(snapshot, first.state, "tomorrow")
    assert texts(result) == ["Again?"]
    assert result.state == first.state
    assert not result.answer.valid
    assert [log.level for log in result.logs] == ["error", "info"]
