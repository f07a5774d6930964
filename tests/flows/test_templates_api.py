import pytest

from flows.models import FlowTemplate
from tests.factories import ChatbotFactory, linear_graph, node

pytestmark = pytest.mark.django_db

URL = "/api/flows/templates/"


def test_starter_templates_are_public_and_valid(auth_client):
    from components.graph import GraphDraft
    from components.services import template_graph_check
    from components.validation import graph_report

    body = auth_client.get(URL).json()
    names = {t["name"] for t in body["results"]}
    assert {"Lead capture", "FAQ menu", "NPS survey", "Appointment request"} <= names
    for template in FlowTemplate.objects.filter(owner=None):
        draft = GraphDraft(**template_graph_check(template.graph))
        assert graph_report(draft, chatbot_flow_ids=set()) == {"errors": [], "warnings": []}, template.name


def test_filter_by_category_tag_and_search(auth_client):
    assert [t["name"] for t in auth_client.get(URL, {"category": "survey"}).json()["results"]] == ["NPS survey"]
    assert [t["name"] for t in auth_client.get(URL, {"tag": "faq"}).json()["results"]] == ["FAQ menu"]
    assert [t["name"] for t in auth_client.get(URL, {"search": "appointment"}).json()["results"]] == [
        "Appointment request"
    ]
    assert auth_client.get(URL, {"tag": "fa"}).json()["results"] == []


def test_create_private_template_from_graph_and_from_flow(auth_client, user, other_client):
    graph = linear_graph(3)
    response = auth_client.post(
        URL, {"name": "Mine", "category": "other", "tags": ["x"], "graph": graph}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["is_public"] is False
    assert response.json()["is_owner"] is True
    chatbot = ChatbotFactory(owner=user)
    from_flow = auth_client.post(URL, {"name": "From flow", "flow": chatbot.main_flow_id}, format="json")
    assert from_flow.status_code == 201
    assert from_flow.json()["graph"]["nodes"][0]["type"] == "start"
    # Private: other users neither see nor reach it.
    assert "Mine" not in {t["name"] for t in other_client.get(URL).json()["results"]}
    assert other_client.get(f"{URL}{response.json()['id']}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No graph"},
        {"name": "Both", "graph": linear_graph(3), "flow": 1},
        {"name": "Bad tag", "graph": linear_graph(3), "tags": ["Not OK"]},
        {"name": "Bad node", "graph": {"nodes": [node("s", "start"), node("x", "teleport")], "edges": []}},
        {"name": "Link", "graph": {"nodes": [node("s", "start"), node("l", "flow_link", flow=1)], "edges": []}},
        {"name": "Not my flow", "flow": 999999},
    ],
)
def test_create_template_refuses_bad_input(auth_client, body):
    before = FlowTemplate.objects.count()
    assert auth_client.post(URL, body, format="json").status_code == 400
    assert FlowTemplate.objects.count() == before


def test_public_templates_cannot_be_changed_or_deleted(auth_client):
    public = FlowTemplate.objects.filter(is_public=True).first()
    assert auth_client.patch(f"{URL}{public.pk}/", {"name": "Hacked"}, format="json").status_code == 404
    assert auth_client.delete(f"{URL}{public.pk}/").status_code == 404
    public.refresh_from_db()
    assert public.name != "Hacked"


def test_owner_updates_and_deletes_own_template(auth_client):
    created = auth_client.post(URL, {"name": "Mine", "graph": linear_graph(3)}, format="json").json()
    response = auth_client.patch(f"{URL}{created['id']}/", {"name": "Renamed", "tags": ["a-b"]}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert auth_client.delete(f"{URL}{created['id']}/").status_code == 204


def test_use_template_creates_a_flow_in_your_chatbot(auth_client, user, other_user):
    template = FlowTemplate.objects.get(name="Lead capture")
    chatbot = ChatbotFactory(owner=user)
    response = auth_client.post(f"{URL}{template.pk}/use/", {"chatbot": chatbot.pk, "name": "Leads"}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Leads"
    assert response.json()["node_count"] == len(template.graph["nodes"])
    foreign = ChatbotFactory(owner=other_user)
    assert auth_client.post(f"{URL}{template.pk}/use/", {"chatbot": foreign.pk}, format="json").status_code == 400
