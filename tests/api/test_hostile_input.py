"""NUL characters and numbers beyond a float's range are refused with 400 wherever they come
in (JSON bodies, form fields, query strings, paths), once for the whole API, and change nothing."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from chatbots.models import Chatbot
from executions.models import ChatSession
from flows.models import Flow
from integrations.models import Integration
from tests.factories import ChatbotFactory, edge, file_upload_graph, node, published_bot

pytestmark = pytest.mark.django_db

NUL_TEXT = "a\u0000b"


def send(client, method: str, url: str, raw: str):
    """A request whose JSON body is written by hand (1e400 cannot be produced by json.dumps)."""
    return getattr(client, method)(url, data=raw, content_type="application/json")


def test_a_nul_in_a_chat_reply_or_start_variables_is_400_and_changes_nothing(api_client):
    bot = published_bot()
    refused = api_client.post(
        f"/api/flows/public/{bot.public_id}/start/", {"variables": {"name": NUL_TEXT}}, format="json"
    )
    assert refused.status_code == 400
    assert "NUL" in refused.json()["detail"]
    assert ChatSession.objects.count() == 0
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    before = ChatSession.objects.get().message_count
    reply = api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": NUL_TEXT}, format="json")
    assert reply.status_code == 400
    assert ChatSession.objects.get().message_count == before
    as_key = api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value\u0000": "x"}, format="json")
    assert as_key.status_code == 400


def test_a_nul_in_builder_settings_and_objects_is_400(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    patch = auth_client.patch(f"/api/chatbots/{chatbot.pk}/", {"appearance": {"title": NUL_TEXT}}, format="json")
    assert patch.status_code == 400
    chatbot.refresh_from_db()
    assert chatbot.appearance["title"] == ""
    profile = auth_client.patch("/api/auth/profile/", {"settings": {"theme": NUL_TEXT}}, format="json")
    assert profile.status_code == 400
    integration = auth_client.post(
        "/api/integrations/",
        {"name": "Slack", "template": "sl\u0000ack", "config": {}, "events": ["session.started"]},
        format="json",
    )
    assert integration.status_code == 400
    assert Integration.objects.count() == 0


def test_a_nul_in_form_fields_is_400_and_file_names_lose_it(auth_client, api_client, user):
    bio = auth_client.patch("/api/auth/profile/", {"bio": NUL_TEXT}, format="multipart")
    assert bio.status_code == 400
    bot = published_bot(owner=user, graph=file_upload_graph())
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    upload = api_client.post(
        f"/api/flows/public/sessions/{session_id}/files/",
        {"file": SimpleUploadedFile("cv\u0000.pdf", b"%PDF")},
        format="multipart",
    )
    assert upload.status_code == 201  # Django drops non-printable characters from file names
    assert upload.json()["name"] == "cv.pdf"


@pytest.mark.parametrize(
    "url",
    [
        "/api/components/templates/search/?q=a%00b",
        "/api/flows/templates/?search=a%00b",
        "/api/chatbots/?search=%00",
        "/api/chatbots/?status=%00",
        "/api/executions/logs/?node_id=a%00",
        "/api/chatbots/?a%00=1",
        "/api/integrations/templates/sl%00ack/",
    ],
)
def test_a_nul_in_a_query_string_or_path_is_400(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_numbers_beyond_a_float_are_400_and_change_nothing(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    profile = send(auth_client, "patch", "/api/auth/profile/", '{"settings": {"size": 1e400}}')
    assert profile.status_code == 400
    assert "too large a number" in profile.json()["detail"]
    flow_url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/"
    assert send(auth_client, "patch", flow_url, '{"settings": {"zoom": -1e400}}').status_code == 400
    assert Flow.objects.get(pk=chatbot.main_flow_id).settings == {}
    rule = {"variable": "x", "operator": "greater_than", "value": "__BIG__"}
    graph = {
        "nodes": [node("start", "start"), node("c", "condition", branches=[{"id": "b", "rules": [rule]}])],
        "edges": [edge("start", "c")],
        "variables": [{"name": "x"}],
    }
    raw = json.dumps(graph).replace('"__BIG__"', "1e400")
    assert send(auth_client, "put", f"{flow_url}graph/", raw).status_code == 400
    assert not Flow.objects.get(pk=chatbot.main_flow_id).nodes.filter(node_id="c").exists()
    # Large but finite numbers and long integers are fine.
    assert (
        send(
            auth_client, "patch", "/api/auth/profile/", '{"settings": {"size": 1e300, "n": 1' + "0" * 40 + "}}"
        ).status_code
        == 200
    )


def test_hostile_bodies_leave_the_chatbot_untouched(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    before = Chatbot.objects.values().get(pk=chatbot.pk)
    for raw in ('{"name": "a\\u0000"}', '{"description": 1e999}', '{"name": "x", "appearance": {"title": "\\u0000"}}'):
        assert send(auth_client, "patch", f"/api/chatbots/{chatbot.pk}/", raw).status_code == 400
    assert Chatbot.objects.values().get(pk=chatbot.pk) == before
