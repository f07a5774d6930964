"""Every graph write (whole-graph PUT, node/edge/variable endpoints, bulk) keeps the ids of the
rows it does not delete, so a builder holding them can keep using them."""

import pytest

from components.models import ComponentVariable
from tests.factories import ChatbotFactory, edge, node

pytestmark = pytest.mark.django_db

NODES, EDGES, VARIABLES = "/api/components/instances/", "/api/components/connections/", "/api/components/variables/"


def _graph() -> dict:
    return {
        "nodes": [
            node("start", "start"),
            node("ask", "text_input", prompt="Name?", variable="name"),
            node("pick", "choice", variable="pick", options=[{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]),
            node("hi", "message", text="Hi {{name}}"),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "ask", edge_id="e-start"),
            edge("ask", "pick", edge_id="e-ask"),
            edge("pick", "hi", "a", edge_id="e-a"),
            edge("pick", "end", "b", edge_id="e-b"),
            edge("hi", "end", edge_id="e-hi"),
        ],
        "variables": [{"name": "name", "default": None}, {"name": "pick", "default": None}],
    }


@pytest.fixture
def flow(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/"
    assert auth_client.put(url, _graph(), format="json").status_code == 200
    flow = chatbot.main_flow
    flow.graph_url = url
    return flow


def _ids(client, flow) -> dict[str, dict[str, int]]:
    """{"nodes": {node_id: id}, "edges": {edge_id: id}, "variables": {name: id}} as the API lists them."""

    def listed(url, key):
        body = client.get(url, {"flow": flow.pk, "page_size": 100}).json()
        return {item[key]: item["id"] for item in body["results"]}

    return {
        "nodes": listed(NODES, "node_id"),
        "edges": listed(EDGES, "edge_id"),
        "variables": listed(VARIABLES, "name"),
    }


def _kept(before: dict, after: dict, *, gone=()) -> None:
    for kind, ids in before.items():
        for key, pk in ids.items():
            if (kind, key) in gone:
                assert key not in after[kind], (kind, key)
            else:
                assert after[kind].get(key) == pk, (kind, key)


def test_a_variable_patch_keeps_its_id_and_the_old_id_keeps_answering(auth_client, flow):
    before = _ids(auth_client, flow)
    pk = before["variables"]["name"]
    response = auth_client.patch(f"{VARIABLES}{pk}/", {"default": "x"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == pk
    assert response.json()["default"] == "x"
    assert auth_client.get(f"{VARIABLES}{pk}/").status_code == 200
    _kept(before, _ids(auth_client, flow))


def test_the_whole_graph_put_keeps_ids_of_what_stays_even_when_edges_are_re_pointed(auth_client, flow):
    before = _ids(auth_client, flow)
    graph = _graph()
    graph["nodes"][3]["data"]["text"] = "Hello {{name}}"  # changed node
    graph["nodes"].append(node("bye", "message", text="Bye"))  # new node
    graph["edges"][4] = edge("hi", "bye", edge_id="e-hi")  # re-pointed edge
    graph["edges"].append(edge("bye", "end", edge_id="e-bye"))
    graph["variables"][0]["default"] = "friend"  # changed default
    graph["variables"].append({"name": "extra", "default": 1})  # new variable
    response = auth_client.put(flow.graph_url, graph, format="json")
    assert response.status_code == 200, response.json()
    after = _ids(auth_client, flow)
    _kept(before, after)
    assert set(after["nodes"]) == {*before["nodes"], "bye"}
    assert set(after["variables"]) == {*before["variables"], "extra"}


def test_swapping_two_edges_between_handles_keeps_both_ids(auth_client, flow):
    before = _ids(auth_client, flow)
    graph = _graph()
    graph["edges"][2] = edge("pick", "hi", "b", edge_id="e-a")
    graph["edges"][3] = edge("pick", "end", "a", edge_id="e-b")
    response = auth_client.put(flow.graph_url, graph, format="json")
    assert response.status_code == 200, response.json()
    _kept(before, _ids(auth_client, flow))
    edges = {e["id"]: e["source_handle"] for e in auth_client.get(flow.graph_url).json()["edges"]}
    assert edges["e-a"] == "b" and edges["e-b"] == "a"


def test_an_edge_moved_off_a_node_that_is_deleted_survives_with_its_id(auth_client, flow):
    before = _ids(auth_client, flow)
    graph = _graph()
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "hi"]
    graph["edges"] = [e for e in graph["edges"] if e["id"] != "e-hi"]
    graph["edges"][2] = edge("pick", "end", "a", edge_id="e-a")
    response = auth_client.put(flow.graph_url, graph, format="json")
    assert response.status_code == 200, response.json()
    _kept(before, _ids(auth_client, flow), gone={("nodes", "hi"), ("edges", "e-hi")})


def test_item_by_item_writes_keep_every_other_id(auth_client, flow):
    before = _ids(auth_client, flow)
    created = auth_client.post(NODES, {"flow": flow.pk, "id": "note", "type": "message"}, format="json")
    assert created.status_code == 201
    after_node = _ids(auth_client, flow)
    _kept(before, after_node)

    moved = auth_client.patch(f"{EDGES}{before['edges']['e-hi']}/", {"target": "note"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["id"] == before["edges"]["e-hi"]
    assert moved.json()["target"] == "note"

    changed = auth_client.patch(f"{NODES}{before['nodes']['hi']}/", {"data": {"text": "Yo {{pick}}"}}, format="json")
    assert changed.status_code == 200
    declared = auth_client.post(VARIABLES, {"flow": flow.pk, "name": "later"}, format="json")
    assert declared.status_code == 201
    deleted = auth_client.delete(f"{EDGES}{before['edges']['e-b']}/")
    assert deleted.status_code == 204
    after = _ids(auth_client, flow)
    _kept(before, after, gone={("edges", "e-b")})
    assert after["nodes"]["note"] == after_node["nodes"]["note"]


def test_bulk_node_operations_keep_the_ids_of_what_they_do_not_delete(auth_client, flow):
    before = _ids(auth_client, flow)
    body = {
        "flow": flow.pk,
        "create": [{"id": "extra", "type": "message", "data": {"text": "{{name}}!"}}],
        "update": [{"id": "ask", "label": "Ask the name", "position": {"x": 10, "y": 20}}],
        "delete": ["hi"],
    }
    response = auth_client.post(f"{NODES}bulk/", body, format="json")
    assert response.status_code == 200, response.json()
    _kept(before, _ids(auth_client, flow), gone={("nodes", "hi"), ("edges", "e-a"), ("edges", "e-hi")})


def test_a_variable_patch_is_partial(auth_client, flow):
    pk = _ids(auth_client, flow)["variables"]["pick"]
    only_default = auth_client.patch(f"{VARIABLES}{pk}/", {"default": "b"}, format="json")
    assert only_default.status_code == 200
    only_name = auth_client.patch(f"{VARIABLES}{pk}/", {"name": "choice"}, format="json")
    assert only_name.status_code == 200, only_name.json()
    assert only_name.json() | {"read_by": None, "written_by": None} == {
        "id": pk,
        "flow": flow.pk,
        "name": "choice",
        "default": "b",
        "declared": True,
        "read_by": None,
        "written_by": None,
    }
    assert auth_client.patch(f"{VARIABLES}{pk}/", {}, format="json").status_code == 400


def test_renaming_a_variable_leaves_nodes_alone_and_validate_names_them(auth_client, flow):
    pk = _ids(auth_client, flow)["variables"]["name"]
    response = auth_client.patch(f"{VARIABLES}{pk}/", {"name": "full_name"}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == pk
    old = ComponentVariable.objects.get(flow=flow, name="name")
    assert (old.declared, old.read_by, old.written_by) == (False, ["hi"], ["ask"])
    report = auth_client.post(flow.graph_url.replace("graph/", "validate/")).json()
    assert {(e["code"], e["node_id"]) for e in report["errors"]} >= {("undefined_variable", "hi")}


def test_renaming_onto_a_declared_name_is_refused_and_changes_nothing(auth_client, flow):
    ids = _ids(auth_client, flow)["variables"]
    response = auth_client.patch(f"{VARIABLES}{ids['name']}/", {"name": "pick"}, format="json")
    assert response.status_code == 400
    assert "already declared" in response.json()["name"][0]
    assert _ids(auth_client, flow)["variables"] == ids
    bad = auth_client.patch(f"{VARIABLES}{ids['name']}/", {"name": "2bad"}, format="json")
    assert bad.status_code == 400
