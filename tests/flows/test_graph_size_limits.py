"""A chatbot's graphs are bounded (total bytes, flow count), and so is each process's cache of
published snapshots: one owner's bot cannot fill a worker's memory or the database."""

import itertools
from collections import OrderedDict

import pytest

from executions.services import snapshots as services
from flows.models import Flow
from tests.factories import ChatbotFactory, edge, node, published_bot

pytestmark = pytest.mark.django_db


def bulky_graph(kilobytes: int) -> dict:
    """start -> messages of 5,000 characters -> end: about `kilobytes` KB of graph JSON."""
    count = max(1, kilobytes // 5)
    nodes = [node("start", "start")]
    nodes += [node(f"m{i}", "message", text=f"{i:04d}" + "x" * 4996) for i in range(count)]
    nodes.append(node("end", "end"))
    ids = [n["id"] for n in nodes]
    return {"nodes": nodes, "edges": [edge(a, b) for a, b in itertools.pairwise(ids)], "variables": []}


def graph_url(chatbot, flow_id) -> str:
    return f"/api/chatbots/{chatbot.pk}/flows/{flow_id}/graph/"


def test_a_chatbots_flows_together_are_held_to_the_graph_limit(auth_client, user, settings):
    settings.CHATBOT_MAX_GRAPH_MB = 1
    chatbot = ChatbotFactory(owner=user)
    assert auth_client.put(graph_url(chatbot, chatbot.main_flow_id), bulky_graph(600), format="json").status_code == 200
    second = auth_client.post(f"/api/chatbots/{chatbot.pk}/flows/", {"name": "Second"}, format="json").json()
    before = auth_client.get(graph_url(chatbot, second["id"])).json()

    refused = auth_client.put(graph_url(chatbot, second["id"]), bulky_graph(600), format="json")
    assert refused.status_code == 400
    (message,) = refused.json()["graph"]
    assert "at most 1 MB in all" in message
    assert auth_client.get(graph_url(chatbot, second["id"])).json() == before

    # The same flow may be rewritten at its size, and the node endpoints are held to it too.
    assert auth_client.put(graph_url(chatbot, chatbot.main_flow_id), bulky_graph(600), format="json").status_code == 200
    big_node = {"flow": second["id"], **node("big", "message", text="y" * 10_000)}
    for _ in range(50):
        response = auth_client.post("/api/components/instances/", big_node | {"id": f"n{_}"}, format="json")
        if response.status_code != 201:
            break
    assert response.status_code == 400 and "graph" in response.json()
    total = sum(Flow.objects.filter(chatbot=chatbot).values_list("graph_bytes", flat=True))
    assert 600_000 < total <= 1024 * 1024


def test_a_chatbot_has_at_most_the_flow_limit(auth_client, user, settings):
    settings.CHATBOT_MAX_FLOWS = 2
    chatbot = ChatbotFactory(owner=user)
    assert auth_client.post(f"/api/chatbots/{chatbot.pk}/flows/", {"name": "Two"}, format="json").status_code == 201
    refused = auth_client.post(f"/api/chatbots/{chatbot.pk}/flows/", {"name": "Three"}, format="json")
    assert refused.status_code == 400
    assert "at most 2 flows" in str(refused.json())
    assert Flow.objects.filter(chatbot=chatbot).count() == 2


def test_the_snapshot_cache_is_held_to_its_byte_budget(api_client, settings, monkeypatch):
    monkeypatch.setattr(services, "_SNAPSHOTS", OrderedDict())
    monkeypatch.setattr(services, "_snapshots_bytes", 0)
    settings.SNAPSHOT_CACHE_MB = 1
    bots = [published_bot(graph=bulky_graph(400)) for _ in range(4)]
    for bot in bots * 2:
        response = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
        assert response.status_code == 201
        assert response.json()["status"] == "completed"
        held, size = services.snapshot_cache_usage()
        assert size <= 1024 * 1024
    assert held == 2  # two 400 KB snapshots fit in 1 MB, the least recently used went out

    settings.SNAPSHOT_CACHE_MB = 0  # a snapshot larger than the whole budget is used, not kept
    response = api_client.post(f"/api/flows/public/{bots[0].public_id}/start/", {}, format="json")
    assert response.status_code == 201
    assert services.snapshot_cache_usage()[0] <= 2
