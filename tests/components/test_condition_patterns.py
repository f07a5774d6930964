"""Condition rules' regular expressions are RE2, checked when the graph is saved and published."""

import pytest

from components.models import ComponentInstance
from tests.factories import ChatbotFactory, edge, node

pytestmark = pytest.mark.django_db


def regex_graph(pattern, operator="matches_regex") -> dict:
    rules = [
        {"variable": "answer", "operator": "equals", "value": "x"},
        {"variable": "answer", "operator": operator, "value": pattern},
    ]
    return {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", prompt="?", variable="answer"),
            node("check", "condition", branches=[{"id": "code", "match": "any", "rules": rules}]),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "ask"),
            edge("ask", "check"),
            edge("check", "end", "code"),
            edge("check", "end", "else"),
        ],
        "variables": [{"name": "answer"}],
    }


@pytest.fixture
def chatbot(user):
    return ChatbotFactory(owner=user)


def put_graph(client, chatbot, graph):
    return client.put(f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/", graph, format="json")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "RE2"),
        (r"(?=a)b", "RE2"),
        ("([unclosed", "RE2"),
        ("x{1001}", "RE2"),
        (".{0,1000}$", "too complex"),
        ("a" * 1001, "1000"),
        ("a" * 3900, "1000"),  # the reproduction: one such start froze a process for 13 s
    ],
)
def test_a_pattern_that_cannot_run_is_refused_on_save_naming_the_node_and_rule(auth_client, chatbot, pattern, reason):
    response = put_graph(auth_client, chatbot, regex_graph(pattern))
    assert response.status_code == 400
    errors = response.json()["nodes"]["check"]
    assert list(errors) == ["data.branches.0.rules.1.value"]
    assert reason in " ".join(errors["data.branches.0.rules.1.value"])
    assert not ComponentInstance.objects.filter(flow=chatbot.main_flow, node_id="check").exists()


@pytest.mark.parametrize("pattern", [r"^[A-Z]{3}-\d+$", r"^{{answer}}\.(com|org)$", r"[{{answer}}]", ""])
def test_valid_patterns_and_placeholders_are_accepted(auth_client, chatbot, pattern):
    assert put_graph(auth_client, chatbot, regex_graph(pattern, "not_matches_regex")).status_code == 200


def test_a_long_rule_value_is_refused_whatever_the_operator(auth_client, chatbot):
    graph = regex_graph("x")
    graph["nodes"][2]["data"]["branches"][0]["rules"][0]["value"] = "x" * 1001
    response = put_graph(auth_client, chatbot, graph)
    assert response.status_code == 400
    assert "data.branches.0.rules.0.value" in response.json()["nodes"]["check"]


def test_publishing_a_graph_saved_with_a_bad_pattern_is_refused_naming_node_and_rule(auth_client, chatbot):
    assert put_graph(auth_client, chatbot, regex_graph("ok")).status_code == 200
    stored = ComponentInstance.objects.get(flow=chatbot.main_flow, node_id="check")
    stored.config["branches"][0]["rules"][1]["value"] = r"(\w+)\1"  # as saved before patterns were checked
    stored.save()
    response = auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    (problem,) = response.json()
    assert (problem["flow_id"], problem["node_id"], problem["code"]) == (
        chatbot.main_flow_id,
        "check",
        "invalid_config",
    )
    assert problem["message"].startswith("data.branches.0.rules.1.value: Branch 'code'")
    preview = auth_client.post(f"/api/chatbots/{chatbot.pk}/preview/", {}, format="json")
    assert preview.status_code == 400
