import pytest

from components.models import ComponentInstance
from flows.models import Flow
from tests.factories import ChatbotFactory, edge, linear_graph, node

pytestmark = pytest.mark.django_db


@pytest.fixture
def chatbot(user):
    return ChatbotFactory(owner=user)


def flows_url(chatbot):
    return f"/api/chatbots/{chatbot.pk}/flows/"


def test_list_shows_main_flow_first(auth_client, chatbot):
    auth_client.post(flows_url(chatbot), {"name": "Second"}, format="json")
    body = auth_client.get(flows_url(chatbot)).json()
    assert [f["name"] for f in body["results"]] == ["Main flow", "Second"]
    assert [f["is_main"] for f in body["results"]] == [True, False]
    assert body["results"][0]["node_count"] == 1


def test_create_flow_holds_a_start_node(auth_client, chatbot):
    response = auth_client.post(flows_url(chatbot), {"name": "Checkout", "description": "d"}, format="json")
    assert response.status_code == 201
    flow = Flow.objects.get(pk=response.json()["id"])
    assert flow.is_main is False
    assert list(flow.nodes.values_list("type", flat=True)) == ["start"]


def test_update_flow_fields(auth_client, chatbot):
    url = f"{flows_url(chatbot)}{chatbot.main_flow_id}/"
    response = auth_client.patch(url, {"name": "Renamed", "settings": {"color": "red"}}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["settings"] == {"color": "red"}
    assert auth_client.patch(url, {"name": ""}, format="json").status_code == 400


def test_main_flow_cannot_be_deleted_but_others_can(auth_client, chatbot):
    response = auth_client.delete(f"{flows_url(chatbot)}{chatbot.main_flow_id}/")
    assert response.status_code == 409
    assert "main flow" in response.json()["detail"]
    assert Flow.objects.filter(pk=chatbot.main_flow_id).exists()
    other = auth_client.post(flows_url(chatbot), {"name": "Other"}, format="json").json()
    assert auth_client.delete(f"{flows_url(chatbot)}{other['id']}/").status_code == 204


def test_make_main_switches_the_main_flow(auth_client, chatbot):
    other = auth_client.post(flows_url(chatbot), {"name": "Other"}, format="json").json()
    response = auth_client.post(f"{flows_url(chatbot)}{other['id']}/make-main/")
    assert response.status_code == 200
    assert response.json()["is_main"] is True
    chatbot.refresh_from_db()
    assert chatbot.main_flow_id == other["id"]
    assert Flow.objects.filter(chatbot=chatbot, is_main=True).count() == 1


def test_clone_flow_copies_its_graph(auth_client, chatbot):
    auth_client.put(f"{flows_url(chatbot)}{chatbot.main_flow_id}/graph/", linear_graph(5), format="json")
    response = auth_client.post(f"{flows_url(chatbot)}{chatbot.main_flow_id}/clone/", {"name": "Copy"}, format="json")
    assert response.status_code == 201
    copy_id = response.json()["id"]
    original = auth_client.get(f"{flows_url(chatbot)}{chatbot.main_flow_id}/graph/").json()
    copied = auth_client.get(f"{flows_url(chatbot)}{copy_id}/graph/").json()
    assert copied == original
    assert response.json()["is_main"] is False


def test_validate_reports_errors_and_warnings(auth_client, chatbot):
    graph = {
        "nodes": [node("start", "start"), node("q", "text_input", variable="answer"), node("lost", "message")],
        "edges": [edge("start", "q")],
        "variables": [],
    }
    auth_client.put(f"{flows_url(chatbot)}{chatbot.main_flow_id}/graph/", graph, format="json")
    response = auth_client.post(f"{flows_url(chatbot)}{chatbot.main_flow_id}/validate/")
    assert response.status_code == 200
    body = response.json()
    assert {(e["code"], e["node_id"]) for e in body["errors"]} == {("undefined_variable", "q")}
    warnings = {(w["code"], w["node_id"]) for w in body["warnings"]}
    assert {("dead_end", "q"), ("unreachable_node", "lost")} <= warnings


def test_create_flow_from_template(auth_client, chatbot):
    from flows.models import FlowTemplate

    template = FlowTemplate.objects.get(name="NPS survey")
    response = auth_client.post(flows_url(chatbot), {"name": "NPS", "template": template.pk}, format="json")
    assert response.status_code == 201, response.json()
    flow_id = response.json()["id"]
    assert ComponentInstance.objects.filter(flow_id=flow_id).count() == len(template.graph["nodes"])
    assert auth_client.post(flows_url(chatbot), {"name": "x", "template": 999999}, format="json").status_code == 400
