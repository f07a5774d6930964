from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from tests.factories import ChatbotFactory, edge, linear_graph, node

pytestmark = pytest.mark.django_db


@pytest.fixture
def chatbot(user):
    return ChatbotFactory(owner=user)


def graph_url(chatbot, flow_id=None):
    return f"/api/chatbots/{chatbot.pk}/flows/{flow_id or chatbot.main_flow_id}/graph/"


def test_new_flow_graph_holds_one_start_node(auth_client, chatbot):
    response = auth_client.get(graph_url(chatbot))
    assert response.status_code == 200
    assert response.json() == {
        "nodes": [{"id": "start", "type": "start", "position": {"x": 0.0, "y": 0.0}, "data": {}}],
        "edges": [],
        "variables": [],
    }


def test_put_replaces_graph_and_fills_defaults(auth_client, chatbot):
    graph = {
        "nodes": [
            node("start", "start"),
            node("ask", "email_input", 250, 10, prompt="Your email?", variable="email"),
            node("bye", "end", 500),
        ],
        "edges": [edge("start", "ask", edge_id="e1"), edge("ask", "bye", edge_id="e2")],
        "variables": [{"name": "email", "default": None}],
    }
    response = auth_client.put(graph_url(chatbot), graph, format="json")
    assert response.status_code == 200, response.json()
    stored = auth_client.get(graph_url(chatbot)).json()
    assert stored == response.json()
    ask = stored["nodes"][1]
    assert ask["position"] == {"x": 250.0, "y": 10.0}
    assert ask["data"]["prompt"] == "Your email?"
    assert ask["data"]["retry_message"]  # a default retry message was filled in
    assert stored["edges"] == [
        {"id": "e1", "source": "start", "source_handle": "next", "target": "ask"},
        {"id": "e2", "source": "ask", "source_handle": "next", "target": "bye"},
    ]
    assert stored["variables"] == [{"name": "email", "default": None}]


def test_put_keeps_primary_keys_of_nodes_that_stay(auth_client, chatbot):
    auth_client.put(graph_url(chatbot), linear_graph(5), format="json")
    before = dict(ComponentInstance.objects.values_list("node_id", "pk"))
    graph = linear_graph(5)
    graph["nodes"][1]["data"]["text"] = "changed"
    auth_client.put(graph_url(chatbot), graph, format="json")
    assert dict(ComponentInstance.objects.values_list("node_id", "pk")) == before
    assert ComponentInstance.objects.get(node_id="m0").config["text"] == "changed"


def test_put_moves_a_handle_from_one_edge_id_to_another(auth_client, chatbot):
    auth_client.put(graph_url(chatbot), linear_graph(3), format="json")
    graph = linear_graph(3)
    graph["edges"][0]["id"] = "renamed"
    response = auth_client.put(graph_url(chatbot), graph, format="json")
    assert response.status_code == 200
    assert set(ComponentConnection.objects.values_list("edge_id", flat=True)) == {"renamed", "m0-next-end"}


BAD_GRAPHS = {
    "unknown type": (
        {"nodes": [node("start", "start"), node("x", "teleport")], "edges": []},
        ("nodes", "x", "type"),
    ),
    "bad config field": (
        {"nodes": [node("start", "start"), node("t", "text_input", max_length=0)], "edges": []},
        ("nodes", "t", "data.max_length"),
    ),
    "unknown config field": (
        {"nodes": [node("start", "start"), node("t", "message", txt="typo")], "edges": []},
        ("nodes", "t", "data.txt"),
    ),
    "missing required config": (
        {"nodes": [node("start", "start"), node("j", "jump")], "edges": []},
        ("nodes", "j", "data.target"),
    ),
    "min greater than max": (
        {"nodes": [node("start", "start"), node("n", "number_input", min=10, max=1)], "edges": []},
        ("nodes", "n", "data.min"),
    ),
    "duplicate option ids": (
        {
            "nodes": [
                node("start", "start"),
                node("c", "choice", options=[{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]),
            ],
            "edges": [],
        },
        ("nodes", "c", "data.options"),
    ),
    "bad expression": (
        {
            "nodes": [
                node("start", "start"),
                node("s", "set_variable", variable="x", operation="expression", value="1 +"),
            ],
            "edges": [],
            "variables": [{"name": "x"}],
        },
        ("nodes", "s", "data.value"),
    ),
    "duplicate node id": (
        {"nodes": [node("start", "start"), node("m", "message"), node("m", "end")], "edges": []},
        ("nodes", "m", "id"),
    ),
    "edge from missing node": (
        {"nodes": [node("start", "start")], "edges": [edge("ghost", "start", edge_id="e1")]},
        ("edges", "e1", "source"),
    ),
    "edge to missing node": (
        {"nodes": [node("start", "start")], "edges": [edge("start", "ghost", edge_id="e1")]},
        ("edges", "e1", "target"),
    ),
    "handle the source lacks": (
        {"nodes": [node("start", "start"), node("m", "message")], "edges": [edge("start", "m", "yes", edge_id="e1")]},
        ("edges", "e1", "source_handle"),
    ),
    "two edges on one handle": (
        {
            "nodes": [node("start", "start"), node("a", "message"), node("b", "message")],
            "edges": [edge("start", "a", edge_id="e1"), edge("start", "b", edge_id="e2")],
        },
        ("edges", "e2", "source_handle"),
    ),
    "edge into start": (
        {"nodes": [node("start", "start"), node("m", "message")], "edges": [edge("m", "start", edge_id="e1")]},
        ("edges", "e1", "target"),
    ),
    "duplicate edge id": (
        {
            "nodes": [node("start", "start"), node("a", "message"), node("b", "end")],
            "edges": [edge("start", "a", edge_id="e1"), edge("a", "b", edge_id="e1")],
        },
        ("edges", "e1", "id"),
    ),
    "bad variable name": (
        {"nodes": [node("start", "start")], "edges": [], "variables": [{"name": "1bad"}]},
        ("variables", "1bad", "name"),
    ),
    "duplicate variable": (
        {"nodes": [node("start", "start")], "edges": [], "variables": [{"name": "a"}, {"name": "a"}]},
        ("variables", "a", "name"),
    ),
}


@pytest.mark.parametrize("case", list(BAD_GRAPHS))
def test_put_refuses_bad_graph_naming_the_item_and_field_and_changes_nothing(auth_client, chatbot, case):
    auth_client.put(graph_url(chatbot), linear_graph(3), format="json")
    before = auth_client.get(graph_url(chatbot)).json()
    graph, (section, item_id, field) = BAD_GRAPHS[case]
    response = auth_client.put(graph_url(chatbot), {"variables": [], **graph}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()[section][item_id], response.json()
    assert auth_client.get(graph_url(chatbot)).json() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"nodes": "x", "edges": []},
        {"nodes": [{"id": "a b", "type": "start"}], "edges": []},
        {"nodes": [{"id": "a", "type": "start", "position": {"x": "NaN", "y": 0}}], "edges": []},
        {"nodes": [{"id": "a", "type": "start", "position": {"x": 1e308, "y": 0}}], "edges": []},
        {"nodes": [{"id": "a", "type": "start", "data": []}], "edges": []},
        {"nodes": [{"id": "x" * 101, "type": "start"}], "edges": []},
        {"nodes": [], "edges": [{"id": "e", "source": "a"}]},
        [],
    ],
)
def test_put_refuses_malformed_shapes(auth_client, chatbot, body):
    response = auth_client.put(graph_url(chatbot), body, format="json")
    assert response.status_code == 400


def test_put_keeps_variable_usage_index_in_sync(auth_client, chatbot):
    graph = {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", variable="name"),
            node("hi", "message", text="Hi {{ name }} from {{city}}"),
            node("calc", "set_variable", variable="score", operation="expression", value="score + len(name)"),
        ],
        "edges": [edge("start", "ask"), edge("ask", "hi"), edge("hi", "calc")],
        "variables": [{"name": "name", "default": None}, {"name": "score", "default": 0}],
    }
    assert auth_client.put(graph_url(chatbot), graph, format="json").status_code == 200
    usage = {v.name: v for v in ComponentVariable.objects.filter(flow_id=chatbot.main_flow_id)}
    assert usage["name"].written_by == ["ask"]
    assert sorted(usage["name"].read_by) == ["calc", "hi"]
    assert usage["score"].default == 0
    assert usage["score"].read_by == ["calc"]
    assert usage["score"].written_by == ["calc"]
    assert usage["city"].declared is False
    assert usage["city"].read_by == ["hi"]


def _put_queries(client, chatbot, graph) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.put(graph_url(chatbot), graph, format="json")
    assert response.status_code == 200, response.json()
    return len(queries)


def test_graph_put_query_count_does_not_grow_with_size(auth_client, user):
    small_bot, big_bot = ChatbotFactory(owner=user), ChatbotFactory(owner=user)
    small = _put_queries(auth_client, small_bot, linear_graph(10))
    big = _put_queries(auth_client, big_bot, linear_graph(1000))
    assert big == small
    # And again over an existing graph (updates instead of inserts).
    changed_small, changed_big = linear_graph(10), linear_graph(1000)
    for graph in (changed_small, changed_big):
        for item in graph["nodes"][1:-1]:
            item["data"]["text"] = "changed"
    assert _put_queries(auth_client, big_bot, changed_big) == _put_queries(auth_client, small_bot, changed_small)
    assert ComponentInstance.objects.filter(flow_id=big_bot.main_flow_id).count() == 1000


def test_graph_get_query_count_does_not_grow_with_size(auth_client, user):
    small_bot, big_bot = ChatbotFactory(owner=user), ChatbotFactory(owner=user)
    auth_client.put(graph_url(small_bot), linear_graph(10), format="json")
    auth_client.put(graph_url(big_bot), linear_graph(1000), format="json")
    with CaptureQueriesContext(connection) as small:
        auth_client.get(graph_url(small_bot))
    with CaptureQueriesContext(connection) as big:
        assert len(auth_client.get(graph_url(big_bot)).json()["nodes"]) == 1000
    assert len(big) == len(small)
