"""Node, edge and variable endpoints keep the graph as consistent as the graph PUT does."""

import pytest

from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from tests.factories import ChatbotFactory, linear_graph

pytestmark = pytest.mark.django_db

NODES, EDGES, VARIABLES = "/api/components/instances/", "/api/components/connections/", "/api/components/variables/"


@pytest.fixture
def flow(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    auth_client.put(f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/", linear_graph(4), format="json")
    return chatbot.main_flow


def test_list_nodes_of_a_flow(auth_client, flow, user):
    other = ChatbotFactory(owner=user)
    body = auth_client.get(NODES, {"flow": flow.pk, "page_size": 100}).json()
    assert [n["node_id"] for n in body["results"]] == ["start", "m0", "m1", "end"]
    assert body["results"][1]["data"]["text"] == "Step 0 for {{name}}"
    assert auth_client.get(NODES).json()["count"] == 5
    assert auth_client.get(NODES, {"flow": other.main_flow_id}).json()["count"] == 1


def test_create_node_validates_config_and_type(auth_client, flow):
    ok = auth_client.post(NODES, {"flow": flow.pk, "id": "ask", "type": "rating", "data": {"max": 5}}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["data"]["min"] == 0
    bad = auth_client.post(NODES, {"flow": flow.pk, "id": "bad", "type": "rating", "data": {"max": 500}}, format="json")
    assert bad.status_code == 400
    assert "data.max" in bad.json()["nodes"]["bad"]
    assert auth_client.post(NODES, {"flow": flow.pk, "id": "x", "type": "teleport"}, format="json").status_code == 400
    duplicate = auth_client.post(NODES, {"flow": flow.pk, "id": "m0", "type": "end"}, format="json")
    assert duplicate.status_code == 400
    assert auth_client.post(NODES, {"id": "x", "type": "end"}, format="json").status_code == 400
    assert not ComponentInstance.objects.filter(node_id__in=["bad", "x"]).exists()


def test_update_node_merges_data_and_refuses_removing_a_connected_handle(auth_client, flow):
    choice = {
        "flow": flow.pk,
        "id": "c",
        "type": "choice",
        "data": {"options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]},
    }
    node_pk = auth_client.post(NODES, choice, format="json").json()["id"]
    assert (
        auth_client.post(
            EDGES,
            {"flow": flow.pk, "edge_id": "ce", "source": "c", "source_handle": "b", "target": "end"},
            format="json",
        ).status_code
        == 201
    )
    renamed = auth_client.patch(f"{NODES}{node_pk}/", {"label": "Pick", "position": {"x": 5, "y": 6}}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["position"] == {"x": 5.0, "y": 6.0}
    assert renamed.json()["data"]["options"][1]["id"] == "b"
    drop_b = auth_client.patch(f"{NODES}{node_pk}/", {"data": {"options": [{"id": "a", "label": "A"}]}}, format="json")
    assert drop_b.status_code == 400
    assert "source_handle" in drop_b.json()["edges"]["ce"]
    assert len(ComponentInstance.objects.get(pk=node_pk).config["options"]) == 2


def test_delete_node_removes_its_edges(auth_client, flow):
    node = ComponentInstance.objects.get(flow=flow, node_id="m0")
    assert auth_client.delete(f"{NODES}{node.pk}/").status_code == 204
    assert not ComponentConnection.objects.filter(flow=flow, source__node_id="m0").exists()
    assert not ComponentConnection.objects.filter(flow=flow, target__node_id="m0").exists()
    assert set(ComponentConnection.objects.filter(flow=flow).values_list("edge_id", flat=True)) == {"m1-next-end"}


def test_bulk_node_operations_are_all_or_nothing(auth_client, flow):
    body = {
        "flow": flow.pk,
        "create": [{"id": "new", "type": "message", "data": {"text": "new"}}],
        "update": [{"id": "m1", "data": {"text": "updated"}}],
        "delete": ["m0"],
    }
    response = auth_client.post(f"{NODES}bulk/", body, format="json")
    assert response.status_code == 200, response.json()
    assert [n["node_id"] for n in response.json()] == ["start", "m1", "end", "new"]
    failing = {**body, "create": [{"id": "bad", "type": "rating", "data": {"min": 9, "max": 1}}], "delete": ["end"]}
    assert auth_client.post(f"{NODES}bulk/", failing, format="json").status_code == 400
    assert ComponentInstance.objects.filter(flow=flow, node_id="end").exists()
    missing = {"flow": flow.pk, "delete": ["ghost"]}
    assert auth_client.post(f"{NODES}bulk/", missing, format="json").status_code == 400


def test_edges_are_checked_like_in_the_graph(auth_client, flow):
    ComponentConnection.objects.filter(flow=flow, edge_id="m1-next-end").delete()
    base = {"flow": flow.pk, "edge_id": "new", "source": "m1", "target": "end"}
    assert auth_client.post(EDGES, {**base, "source_handle": "nope"}, format="json").status_code == 400
    assert auth_client.post(EDGES, {**base, "target": "ghost"}, format="json").status_code == 400
    assert auth_client.post(EDGES, {**base, "target": "start"}, format="json").status_code == 400
    created = auth_client.post(EDGES, base, format="json")
    assert created.status_code == 201
    assert created.json()["source"] == "m1" and created.json()["target"] == "end"
    assert auth_client.post(EDGES, {**base, "edge_id": "twice"}, format="json").status_code == 400
    repoint = auth_client.patch(f"{EDGES}{created.json()['id']}/", {"target": "m0"}, format="json")
    assert repoint.status_code == 200
    assert repoint.json()["target"] == "m0"
    assert auth_client.delete(f"{EDGES}{repoint.json()['id']}/").status_code == 204


def test_variables_declare_update_undeclare_and_usage(auth_client, flow):
    usage = auth_client.get(VARIABLES, {"flow": flow.pk}).json()["results"]
    assert usage[0]["name"] == "name"
    assert usage[0]["read_by"] == ["m0", "m1"]
    created = auth_client.post(VARIABLES, {"flow": flow.pk, "name": "score", "default": 0}, format="json")
    assert created.status_code == 201
    assert created.json()["default"] == 0
    assert auth_client.post(VARIABLES, {"flow": flow.pk, "name": "score"}, format="json").status_code == 400
    assert auth_client.post(VARIABLES, {"flow": flow.pk, "name": "9x"}, format="json").status_code == 400
    updated = auth_client.patch(f"{VARIABLES}{created.json()['id']}/", {"default": 10}, format="json")
    assert updated.json()["default"] == 10
    name_var = ComponentVariable.objects.get(flow=flow, name="name")
    assert auth_client.delete(f"{VARIABLES}{name_var.pk}/").status_code == 204
    undeclared = ComponentVariable.objects.get(flow=flow, name="name")
    assert undeclared.declared is False
    assert undeclared.read_by == ["m0", "m1"]
    flow.refresh_from_db()
    assert flow.variables == [{"name": "score", "default": 10}]
