import threading

from django.db import connection

import pytest

from chatbots.models import Chatbot, ChatbotVersion
from tests.factories import ChatbotFactory, UserFactory, edge, linear_graph, node

pytestmark = pytest.mark.django_db


def _put_graph(client, chatbot, graph):
    url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/"
    response = client.put(url, graph, format="json")
    assert response.status_code == 200, response.json()


@pytest.fixture
def bot(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    _put_graph(auth_client, chatbot, linear_graph(4))
    return chatbot


def test_publish_creates_version_one_with_compiled_snapshot(auth_client, bot):
    response = auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {"changelog": "First"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1
    assert body["changelog"] == "First"
    assert body["is_live"] is True
    bot.refresh_from_db()
    assert bot.status == "published"
    snapshot = bot.live_version.snapshot
    flow_key = str(bot.main_flow_id)
    assert snapshot["format"] == 1
    assert snapshot["main_flow"] == flow_key
    assert snapshot["variables"] == {"name": None}
    compiled = snapshot["flows"][flow_key]
    assert compiled["start"] == "start"
    assert compiled["nodes"]["start"] == {"type": "start", "data": {}, "next": {"next": "m0"}}
    assert compiled["nodes"]["m1"]["next"] == {"next": "end"}
    assert compiled["nodes"]["end"]["next"] == {}


def test_publish_with_errors_is_400_listing_them_and_changes_nothing(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    graph = {
        "nodes": [node("start", "start"), node("m", "message", text="Hi {{ghost}}"), node("lost", "end")],
        "edges": [edge("start", "m")],
        "variables": [],
    }
    _put_graph(auth_client, chatbot, graph)
    response = auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert isinstance(errors, list), errors
    assert {"flow_id": chatbot.main_flow_id, "node_id": "m", "code": "undefined_variable"}.items() <= errors[0].items()
    assert {(e["node_id"], e["code"]) for e in errors} == {("m", "undefined_variable")}
    chatbot.refresh_from_db()
    assert chatbot.status == "draft"
    assert not ChatbotVersion.objects.exists()


def test_versions_list_newest_first_and_detail_holds_snapshot(auth_client, bot):
    for _ in range(3):
        auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {}, format="json")
    listing = auth_client.get(f"/api/chatbots/{bot.pk}/versions/").json()
    assert [v["number"] for v in listing["results"]] == [3, 2, 1]
    assert [v["is_live"] for v in listing["results"]] == [True, False, False]
    assert "snapshot" not in listing["results"][0]
    detail = auth_client.get(f"/api/chatbots/{bot.pk}/versions/2/")
    assert detail.status_code == 200
    assert detail.json()["snapshot"]["format"] == 1
    assert auth_client.get(f"/api/chatbots/{bot.pk}/versions/9/").status_code == 404


def test_snapshot_is_immutable_while_the_draft_changes(auth_client, bot):
    auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {}, format="json")
    first = auth_client.get(f"/api/chatbots/{bot.pk}/versions/1/").json()["snapshot"]
    _put_graph(auth_client, bot, linear_graph(6))
    assert auth_client.get(f"/api/chatbots/{bot.pk}/versions/1/").json()["snapshot"] == first


def test_restore_publishes_a_new_version_equal_to_the_old_one(auth_client, bot):
    auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {}, format="json")
    _put_graph(auth_client, bot, linear_graph(6))
    auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {}, format="json")
    response = auth_client.post(f"/api/chatbots/{bot.pk}/versions/1/restore/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["number"] == 3
    assert response.json()["restored_from"] == 1
    versions = {v.number: v for v in ChatbotVersion.objects.filter(chatbot=bot)}
    assert versions[3].snapshot == versions[1].snapshot
    assert versions[2].snapshot != versions[1].snapshot
    bot.refresh_from_db()
    assert bot.live_version == versions[3]
    assert auth_client.post(f"/api/chatbots/{bot.pk}/versions/7/restore/", {}, format="json").status_code == 404


def test_publishing_an_archived_bot_makes_it_published_again(auth_client, bot):
    auth_client.patch(f"/api/chatbots/{bot.pk}/", {"status": "archived"}, format="json")
    assert auth_client.post(f"/api/chatbots/{bot.pk}/publish/", {}, format="json").status_code == 201
    bot.refresh_from_db()
    assert bot.status == Chatbot.Status.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_simultaneous_publishes_get_distinct_numbers():
    from components.services import chatbot_publish

    owner = UserFactory()
    chatbot = ChatbotFactory(owner=owner)
    results, failures = [], []
    barrier = threading.Barrier(4)

    def publish():
        try:
            barrier.wait()
            results.append(chatbot_publish(chatbot, user=owner).number)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results) == [1, 2, 3, 4]


def test_an_expression_may_name_variables_as_in_templates_and_publishing_checks_them(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    graph = {
        "nodes": [
            node("start", "start"),
            node("add", "set_variable", variable="score", operation="expression", value="{{score}} + {{bonus}}"),
        ],
        "edges": [edge("start", "add")],
        "variables": [{"name": "score", "default": 1}],
    }
    _put_graph(auth_client, chatbot, graph)
    response = auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    assert [(e["node_id"], e["code"]) for e in response.json()] == [("add", "undefined_variable")]
    graph["variables"].append({"name": "bonus", "default": 10})
    _put_graph(auth_client, chatbot, graph)
    assert auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json").status_code == 201


def test_publishing_refuses_an_expression_the_evaluator_would_refuse(auth_client, user):
    from components.models import ComponentInstance

    chatbot = ChatbotFactory(owner=user)
    graph = {
        "nodes": [node("start", "start"), node("up", "set_variable", variable="name", operation="expression")],
        "edges": [edge("start", "up")],
        "variables": [{"name": "name", "default": "ana"}],
    }
    graph["nodes"][1]["data"]["value"] = "upper(name)"
    _put_graph(auth_client, chatbot, graph)
    # A draft saved before the evaluator's rules were checked on save still holds such an expression.
    ComponentInstance.objects.filter(node_id="up").update(
        config={"variable": "name", "operation": "expression", "value": "name.upper()"}
    )
    response = auth_client.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    [error] = response.json()
    assert (error["node_id"], error["code"]) == ("up", "invalid_config")
    assert "attribute access" in error["message"]
    graph["nodes"][1]["data"]["value"] = "name.upper()"
    url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/"
    refused = auth_client.put(url, graph, format="json")
    assert refused.status_code == 400
    assert "attribute access" in refused.json()["nodes"]["up"]["data.value"][0]
