"""Another user reaches none of a user's objects: 404 on every detail URL and action, and
nothing in lists. Walks every URL of one user's bot as a second user."""

import pytest

from chatbots.models import Chatbot, ChatbotVersion
from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from flows.models import Flow, FlowTemplate
from tests.factories import ChatbotFactory, linear_graph

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    flow_id = chatbot.main_flow_id
    auth_client.put(f"/api/chatbots/{chatbot.pk}/flows/{flow_id}/graph/", linear_graph(4), format="json")
    auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    template = auth_client.post("/api/flows/templates/", {"name": "Mine", "flow": flow_id}, format="json").json()
    return {
        "chatbot": chatbot.pk,
        "flow": flow_id,
        "node": ComponentInstance.objects.filter(flow_id=flow_id).first().pk,
        "edge": ComponentConnection.objects.filter(flow_id=flow_id).first().pk,
        "variable": ComponentVariable.objects.filter(flow_id=flow_id).first().pk,
        "template": template["id"],
    }


def owner_urls(ids):
    c, f = ids["chatbot"], ids["flow"]
    return [
        ("get", f"/api/chatbots/{c}/"),
        ("patch", f"/api/chatbots/{c}/"),
        ("put", f"/api/chatbots/{c}/"),
        ("delete", f"/api/chatbots/{c}/"),
        ("post", f"/api/chatbots/{c}/publish/"),
        ("post", f"/api/chatbots/{c}/clone/"),
        ("get", f"/api/chatbots/{c}/export/"),
        ("get", f"/api/chatbots/{c}/versions/"),
        ("get", f"/api/chatbots/{c}/versions/1/"),
        ("post", f"/api/chatbots/{c}/versions/1/restore/"),
        ("get", f"/api/chatbots/{c}/flows/"),
        ("post", f"/api/chatbots/{c}/flows/"),
        ("get", f"/api/chatbots/{c}/flows/{f}/"),
        ("patch", f"/api/chatbots/{c}/flows/{f}/"),
        ("delete", f"/api/chatbots/{c}/flows/{f}/"),
        ("post", f"/api/chatbots/{c}/flows/{f}/validate/"),
        ("post", f"/api/chatbots/{c}/flows/{f}/clone/"),
        ("post", f"/api/chatbots/{c}/flows/{f}/make-main/"),
        ("get", f"/api/chatbots/{c}/flows/{f}/graph/"),
        ("put", f"/api/chatbots/{c}/flows/{f}/graph/"),
        ("get", f"/api/components/instances/{ids['node']}/"),
        ("patch", f"/api/components/instances/{ids['node']}/"),
        ("delete", f"/api/components/instances/{ids['node']}/"),
        ("get", f"/api/components/connections/{ids['edge']}/"),
        ("patch", f"/api/components/connections/{ids['edge']}/"),
        ("delete", f"/api/components/connections/{ids['edge']}/"),
        ("get", f"/api/components/variables/{ids['variable']}/"),
        ("patch", f"/api/components/variables/{ids['variable']}/"),
        ("delete", f"/api/components/variables/{ids['variable']}/"),
        ("get", f"/api/flows/templates/{ids['template']}/"),
        ("patch", f"/api/flows/templates/{ids['template']}/"),
        ("delete", f"/api/flows/templates/{ids['template']}/"),
        ("post", f"/api/flows/templates/{ids['template']}/use/"),
    ]


def _counts():
    return [
        model.objects.count()
        for model in (Chatbot, ChatbotVersion, Flow, FlowTemplate, ComponentInstance, ComponentConnection)
    ]


def test_second_user_gets_404_everywhere_and_changes_nothing(owned, other_client):
    before = _counts()
    graph_before = ComponentInstance.objects.order_by("pk").values_list("node_id", "config")
    graph_before = list(graph_before)
    for method, url in owner_urls(owned):
        body = {"name": "x", "nodes": [], "edges": [], "default": 1, "data": {}, "target": "end"}
        response = getattr(other_client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert _counts() == before
    assert list(ComponentInstance.objects.order_by("pk").values_list("node_id", "config")) == graph_before


def test_second_user_lists_show_nothing_of_the_first(owned, other_client):
    for url in [
        "/api/chatbots/",
        "/api/components/instances/",
        "/api/components/connections/",
        "/api/components/variables/",
    ]:
        assert other_client.get(url).json()["count"] == 0, url
    templates = other_client.get("/api/flows/templates/").json()["results"]
    assert owned["template"] not in [t["id"] for t in templates]
    filtered = other_client.get("/api/components/instances/", {"flow": owned["flow"]}).json()
    assert filtered["count"] == 0


def test_second_user_cannot_write_into_the_first_users_flow(owned, other_client):
    before = _counts()
    flow = owned["flow"]
    attempts = [
        ("/api/components/instances/", {"flow": flow, "id": "evil", "type": "end"}),
        ("/api/components/instances/bulk/", {"flow": flow, "delete": ["end"]}),
        ("/api/components/connections/", {"flow": flow, "edge_id": "evil", "source": "m1", "target": "end"}),
        ("/api/components/variables/", {"flow": flow, "name": "evil"}),
        ("/api/flows/templates/", {"name": "Steal", "flow": flow}),
        ("/api/flows/templates/1/use/", {"chatbot": owned["chatbot"]}),
    ]
    for url, body in attempts:
        response = other_client.post(url, body, format="json")
        assert response.status_code in (400, 404), (url, response.status_code)
    assert _counts() == before


def test_anonymous_gets_401(api_client, owned):
    for method, url in owner_urls(owned):
        assert getattr(api_client, method)(url, {}, format="json").status_code == 401, url


def test_list_filters_answer_alike_for_another_users_id_and_an_unknown_one(api_client, other_client, user):
    """A filter that answered 400 for an unknown id but 200 for someone else's told which
    objects exist; both now give an empty list, and only a malformed id is a 400."""
    import uuid

    from integrations.models import Integration, IntegrationTemplate, Webhook
    from tests.factories import published_bot

    bot = published_bot(owner=user)
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    webhook = Webhook.objects.create(owner=user, name="w", url="https://example.com/", events=["session.started"])
    template = IntegrationTemplate.objects.first()
    integration = Integration.objects.create(owner=user, name="i", template=template, events=["session.started"])
    checks = [
        ("/api/executions/sessions/?chatbot=", bot.pk, 10**12, "abc"),
        ("/api/executions/messages/?session=", session_id, uuid.uuid4(), "not-a-uuid"),
        ("/api/executions/logs/?session=", session_id, uuid.uuid4(), "123"),
        ("/api/executions/inputs/?session=", session_id, uuid.uuid4(), "x"),
        ("/api/executions/webhooks/?chatbot=", bot.pk, 10**12, "1.5"),
        ("/api/executions/webhooks/?webhook=", webhook.pk, 10**12, "-1"),
        ("/api/executions/webhooks/?integration=", integration.pk, 10**12, "true"),
        ("/api/integrations/webhooks/?chatbot=", bot.pk, 10**12, "x"),
        ("/api/integrations/?chatbot=", bot.pk, 10**12, "x"),
        ("/api/integrations/logs/?webhook=", webhook.pk, 10**12, "x"),
        ("/api/integrations/logs/?integration=", integration.pk, 10**12, "x"),
        ("/api/components/instances/?flow=", bot.main_flow_id, 10**12, "x"),
    ]
    for url, theirs, unknown, malformed in checks:
        foreign = other_client.get(f"{url}{theirs}")
        missing = other_client.get(f"{url}{unknown}")
        assert (foreign.status_code, missing.status_code) == (200, 200), url
        assert foreign.json() == missing.json(), url
        assert foreign.json()["count"] == 0, url
        assert other_client.get(f"{url}{malformed}").status_code == 400, url
