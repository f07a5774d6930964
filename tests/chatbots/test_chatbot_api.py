import pytest

from chatbots.models import Chatbot
from components.models import ComponentInstance
from tests.factories import ChatbotFactory

pytestmark = pytest.mark.django_db

URL = "/api/chatbots/"


def test_create_chatbot_makes_main_flow_with_start_node(auth_client, user):
    response = auth_client.post(URL, {"name": "Support bot", "description": "Helps"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["live_version"] is None
    assert body["flow_count"] == 1
    assert len(body["public_id"]) >= 20
    assert body["chat_start_url"] == f"http://testserver/api/flows/public/{body['public_id']}/start/"
    assert body["appearance"]["primary_color"] == "#2563eb"
    assert body["behavior"]["session_timeout_minutes"] == 1440
    chatbot = Chatbot.objects.get(pk=body["id"])
    assert chatbot.owner == user
    assert chatbot.main_flow.is_main
    nodes = list(ComponentInstance.objects.filter(flow=chatbot.main_flow).values_list("type", flat=True))
    assert nodes == ["start"]


def test_public_ids_are_unique_and_unguessable(user):
    ids = {ChatbotFactory(owner=user).public_id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 20 and "/" not in i and "+" not in i for i in ids)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "appearance": {"primary_color": "blue"}}, "appearance.primary_color"),
        ({"name": "ok", "appearance": {"unknown": 1}}, "appearance.unknown"),
        ({"name": "ok", "appearance": "red"}, "appearance"),
        ({"name": "ok", "behavior": {"typing_delay_ms": -1}}, "behavior.typing_delay_ms"),
        ({"name": "ok", "behavior": {"allowed_origins": ["javascript:alert(1)"]}}, "behavior.allowed_origins.0"),
        ({"name": "ok", "behavior": {"session_timeout_minutes": "soon"}}, "behavior.session_timeout_minutes"),
    ],
)
def test_create_refuses_bad_input_and_creates_nothing(auth_client, body, field):
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Chatbot.objects.exists()


def test_update_merges_settings_and_validates(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    url = f"{URL}{chatbot.pk}/"
    response = auth_client.patch(
        url, {"appearance": {"title": "Hi"}, "behavior": {"typing_delay_ms": 0}}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["appearance"]["title"] == "Hi"
    assert body["appearance"]["primary_color"] == "#2563eb"
    assert body["behavior"]["typing_delay_ms"] == 0
    bad = auth_client.patch(url, {"appearance": {"primary_color": "#zzz"}}, format="json")
    assert bad.status_code == 400
    assert auth_client.get(url).json()["appearance"]["title"] == "Hi"


def test_status_published_needs_a_published_version(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    response = auth_client.patch(f"{URL}{chatbot.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert (
        auth_client.patch(f"{URL}{chatbot.pk}/", {"status": "archived"}, format="json").json()["status"] == "archived"
    )
    assert auth_client.patch(f"{URL}{chatbot.pk}/", {"status": "nonsense"}, format="json").status_code == 400


def test_list_search_filter_order_and_paginate(auth_client, user):
    ChatbotFactory(owner=user, name="Alpha sales", description="")
    ChatbotFactory(owner=user, name="Beta", description="handles sales leads")
    archived = ChatbotFactory(owner=user, name="Gamma")
    archived.status = "archived"
    archived.save()
    ChatbotFactory(name="Someone else's sales bot")

    body = auth_client.get(URL).json()
    assert body["count"] == 3
    assert {"count", "next", "previous", "results"} == set(body)
    names = [b["name"] for b in auth_client.get(URL, {"search": "sales"}).json()["results"]]
    assert sorted(names) == ["Alpha sales", "Beta"]
    assert [b["name"] for b in auth_client.get(URL, {"status": "archived"}).json()["results"]] == ["Gamma"]
    assert [b["name"] for b in auth_client.get(URL, {"ordering": "name"}).json()["results"]] == [
        "Alpha sales",
        "Beta",
        "Gamma",
    ]
    page = auth_client.get(URL, {"page_size": 2, "ordering": "name"}).json()
    assert len(page["results"]) == 2
    assert page["next"]
    assert auth_client.get(URL, {"page_size": 10_000}).status_code == 200
    assert auth_client.get(URL, {"page": 99}).status_code == 404


def test_delete_chatbot_removes_its_flows(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    assert auth_client.delete(f"{URL}{chatbot.pk}/").status_code == 204
    assert not Chatbot.objects.exists()
    assert not ComponentInstance.objects.exists()


def test_stats_count_your_chatbots_and_flows(auth_client, user):
    ChatbotFactory(owner=user)
    ChatbotFactory(owner=user)
    ChatbotFactory()
    stats = auth_client.get("/api/auth/stats/").json()
    assert stats["chatbots"] == 2
    assert stats["flows"] == 2


def test_non_numeric_or_huge_ids_are_404(auth_client):
    assert auth_client.get(f"{URL}abc/").status_code == 404
    assert auth_client.get(f"{URL}99999999999999999999999/").status_code == 404
    assert auth_client.get(f"{URL}999999999999999999/").status_code == 404
