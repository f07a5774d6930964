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


def test_a_flow_saved_as_a_template_is_private_unless_shared_and_sharing_is_kept(
    auth_client, user, other_client, other_user
):
    chatbot = ChatbotFactory(owner=user)
    private = auth_client.post(URL, {"name": "Private", "flow": chatbot.main_flow_id}, format="json").json()
    assert (private["is_public"], private["source"]) == (False, "yours")
    shared = auth_client.post(URL, {"name": "Shared", "flow": chatbot.main_flow_id, "is_public": True}, format="json")
    assert shared.status_code == 201
    assert shared.json()["is_public"] is True
    assert FlowTemplate.objects.get(pk=shared.json()["id"]).is_public is True
    # Others see the shared one (as shared), use it, and cannot change or delete it.
    seen = {t["name"]: t for t in other_client.get(URL, {"page_size": 100}).json()["results"]}
    assert "Private" not in seen
    assert (seen["Shared"]["source"], seen["Shared"]["is_owner"]) == ("shared", False)
    assert other_client.patch(f"{URL}{shared.json()['id']}/", {"name": "Mine now"}, format="json").status_code == 404
    assert other_client.delete(f"{URL}{shared.json()['id']}/").status_code == 404
    theirs = ChatbotFactory(owner=other_user)
    used = other_client.post(f"{URL}{shared.json()['id']}/use/", {"chatbot": theirs.pk}, format="json")
    assert used.status_code == 201
    # The owner stops sharing it, and it is gone for the others.
    unshared = auth_client.patch(f"{URL}{shared.json()['id']}/", {"is_public": False}, format="json")
    assert unshared.json()["is_public"] is False
    assert other_client.get(f"{URL}{shared.json()['id']}/").status_code == 404
    # A PATCH that does not name is_public leaves it as it is.
    reshared = auth_client.patch(f"{URL}{shared.json()['id']}/", {"is_public": True}, format="json").json()
    assert auth_client.patch(f"{URL}{reshared['id']}/", {"name": "Renamed"}, format="json").json()["is_public"] is True


def test_a_chatbots_flows_list_the_templates_a_new_flow_can_start_from(auth_client, user, other_client):
    mine = auth_client.post(URL, {"name": "Mine", "graph": linear_graph(3)}, format="json").json()
    shared = other_client.post(URL, {"name": "Theirs", "graph": linear_graph(3), "is_public": True}, format="json")
    hidden = other_client.post(URL, {"name": "Hidden", "graph": linear_graph(3)}, format="json").json()
    chatbot = ChatbotFactory(owner=user)
    url = f"/api/chatbots/{chatbot.pk}/flows/templates/"
    response = auth_client.get(url, {"page_size": 100})
    assert response.status_code == 200
    listed = response.json()["results"]
    sources = {t["name"]: t["source"] for t in listed}
    assert sources["Mine"] == "yours" and sources["Theirs"] == "shared"
    assert "Hidden" not in sources
    catalog = {t.name for t in FlowTemplate.objects.filter(owner=None)}
    assert {name for name, source in sources.items() if source == "catalog"} == catalog
    assert [t["source"] for t in listed[: len(catalog)]] == ["catalog"] * len(catalog)  # the catalog first
    assert [t["name"] for t in auth_client.get(url, {"category": "survey"}).json()["results"]] == ["NPS survey"]
    assert [t["name"] for t in auth_client.get(url, {"search": "theirs"}).json()["results"]] == ["Theirs"]
    assert auth_client.get(url, {"category": "nonsense"}).status_code == 400
    # Each of them starts a flow; another user's private one does not.
    flows = f"/api/chatbots/{chatbot.pk}/flows/"
    for template_id in (mine["id"], shared.json()["id"], FlowTemplate.objects.filter(owner=None).first().pk):
        assert auth_client.post(flows, {"name": "From", "template": template_id}, format="json").status_code == 201
    assert auth_client.post(flows, {"name": "No", "template": hidden["id"]}, format="json").status_code == 400
    # Someone else's chatbot: 404.
    assert other_client.get(url).status_code == 404
