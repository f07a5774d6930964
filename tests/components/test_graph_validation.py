"""Graph-level validation codes, one behaviour each (components.validation)."""

import itertools

import pytest

from components.graph import GraphDraft, graph_check
from components.validation import graph_report
from tests.factories import edge, node


def report(nodes, edges, variables=(), flows=(1, 2)):
    draft = graph_check(GraphDraft(nodes=nodes, edges=edges, variables=[{"name": v} for v in variables]))
    result = graph_report(draft, chatbot_flow_ids=set(flows))
    return (
        {(e["code"], e["node_id"]) for e in result["errors"]},
        {(w["code"], w["node_id"]) for w in result["warnings"]},
    )


def test_valid_linear_flow_has_no_issues():
    assert report(
        [node("s", "start"), node("m", "message", text="hi"), node("e", "end")], [edge("s", "m"), edge("m", "e")]
    ) == (set(), set())


def test_no_start():
    errors, _ = report([node("e", "end")], [])
    assert ("no_start", None) in errors


def test_multiple_starts():
    errors, _ = report([node("s", "start"), node("s2", "start"), node("e", "end")], [edge("s", "e"), edge("s2", "e")])
    assert ("multiple_starts", "s2") in errors


def test_an_unreachable_node_is_a_warning_that_does_not_block_publishing():
    errors, warnings = report(
        [node("s", "start"), node("e", "end"), node("x", "message")], [edge("s", "e"), edge("x", "e")]
    )
    assert errors == set()
    assert warnings == {("unreachable_node", "x")}


def test_an_input_free_loop_nothing_reaches_is_only_a_warning():
    nodes = [node("s", "start"), node("e", "end"), node("a", "message", text="a"), node("b", "jump", target="a")]
    errors, warnings = report(nodes, [edge("s", "e"), edge("a", "b")])
    assert errors == set()
    assert ("input_free_loop", "a") in warnings


def test_dead_end_is_a_warning():
    errors, warnings = report([node("s", "start"), node("m", "message", text="bye")], [edge("s", "m")])
    assert errors == set()
    assert warnings == {("dead_end", "m")}


def test_missing_branch_of_choice_without_default_is_a_warning():
    choice = node("c", "choice", options=[{"id": "a", "label": "A"}, {"id": "b", "label": "B"}])
    errors, warnings = report([node("s", "start"), choice, node("e", "end")], [edge("s", "c"), edge("c", "e", "a")])
    assert errors == set()
    assert ("missing_branch", "c") in warnings


def test_choice_with_default_edge_has_no_missing_branch():
    choice = node("c", "choice", options=[{"id": "a", "label": "A"}])
    _, warnings = report([node("s", "start"), choice, node("e", "end")], [edge("s", "c"), edge("c", "e", "default")])
    assert warnings == set()


def test_missing_condition_branch_is_a_warning():
    condition = node(
        "c",
        "condition",
        branches=[{"id": "big", "match": "all", "rules": [{"variable": "n", "operator": "greater_than", "value": 5}]}],
    )
    _, warnings = report(
        [node("s", "start"), condition, node("e", "end")], [edge("s", "c"), edge("c", "e", "else")], variables=["n"]
    )
    assert ("missing_branch", "c") in warnings


@pytest.mark.parametrize(
    "user_node",
    [
        node("u", "message", text="Hello {{who}}"),
        node("u", "text_input", variable="who"),
        node("u", "condition", branches=[{"id": "b", "rules": [{"variable": "who", "operator": "is_set"}]}]),
        node("u", "set_variable", variable="who", operation="value", value="x"),
        node("u", "set_variable", variable="declared", operation="expression", value="who * 2"),
        node("u", "image", url="https://cdn.example/{{who}}.png"),
    ],
)
def test_undefined_variable_in_templates_conditions_inputs_and_expressions(user_node):
    errors, _ = report(
        [node("s", "start"), user_node, node("e", "end")],
        [edge("s", "u"), edge("u", "e", "else" if user_node["type"] == "condition" else "next")],
        variables=["declared"],
    )
    assert ("undefined_variable", "u") in errors


def test_input_free_loop_is_an_error():
    nodes = [
        node("s", "start"),
        node("a", "set_variable", variable="n", operation="expression", value="n + 1"),
        node("b", "message", text="again"),
    ]
    errors, _ = report(nodes, [edge("s", "a"), edge("a", "b"), edge("b", "a")], variables=["n"])
    assert ("input_free_loop", "a") in errors


def test_jump_counts_as_an_edge_for_loops():
    nodes = [node("s", "start"), node("m", "message", text="x"), node("j", "jump", target="m")]
    errors, warnings = report(nodes, [edge("s", "m"), edge("m", "j")])
    assert ("input_free_loop", "m") in errors
    assert not any(code == "unreachable_node" for code, _ in warnings)


def test_loop_with_an_exit_through_a_condition_is_allowed():
    nodes = [
        node("s", "start"),
        node("inc", "set_variable", variable="n", operation="expression", value="n + 1"),
        node(
            "check",
            "condition",
            branches=[{"id": "more", "rules": [{"variable": "n", "operator": "less_than", "value": 3}]}],
        ),
        node("e", "end"),
    ]
    edges = [edge("s", "inc"), edge("inc", "check"), edge("check", "inc", "more"), edge("check", "e", "else")]
    assert report(nodes, edges, variables=["n"]) == (set(), set())


def test_loop_through_an_input_is_allowed():
    nodes = [node("s", "start"), node("q", "text_input", variable="x"), node("m", "message", text="{{x}}")]
    errors, _ = report(nodes, [edge("s", "q"), edge("q", "m"), edge("m", "q")], variables=["x"])
    assert errors == set()


def test_self_loop_without_input_is_an_error():
    nodes = [node("s", "start"), node("j", "jump", target="j")]
    errors, _ = report(nodes, [edge("s", "j")])
    assert ("input_free_loop", "j") in errors


def test_jump_target_missing():
    errors, _ = report([node("s", "start"), node("j", "jump", target="nowhere")], [edge("s", "j")])
    assert ("jump_target_missing", "j") in errors


def test_flow_link_target_missing():
    errors, _ = report(
        [node("s", "start"), node("l", "flow_link", flow=99), node("e", "end")], [edge("s", "l"), edge("l", "e")]
    )
    assert ("flow_link_target_missing", "l") in errors
    errors, _ = report(
        [node("s", "start"), node("l", "flow_link", flow=2), node("e", "end")], [edge("s", "l"), edge("l", "e")]
    )
    assert errors == set()


def test_choice_without_options_is_invalid_config():
    errors, _ = report(
        [node("s", "start"), node("c", "choice"), node("e", "end")], [edge("s", "c"), edge("c", "e", "default")]
    )
    assert ("invalid_config", "c") in errors


def test_report_on_a_long_chain_does_not_recurse():
    size = 5000
    nodes = [node("s", "start")] + [node(f"m{i}", "message", text="x") for i in range(size)] + [node("e", "end")]
    ids = [n["id"] for n in nodes]
    errors, warnings = report(nodes, [edge(a, b) for a, b in itertools.pairwise(ids)])
    assert errors == set() and warnings == set()
