"""What the API accepts and answers agrees with its OpenAPI schema (cases the schema fuzzer
found): JSON values of the wrong type are refused, and bodies have their documented shape."""

import jsonschema
import pytest

from integrations.crypto import secret_encrypt
from integrations.models import ApiConnection, Webhook
from tests.factories import ChatbotFactory, published_bot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(openapi, path: str, method: str, status: int) -> dict:
    body = openapi["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    # Validate with the components at hand: $ref "#/components/schemas/X" resolves in the document.
    return {**body, "components": openapi["components"]}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/chatbots/", {"name": "Bot", "description": 0}),
        ("post", "/api/chatbots/", {"name": 5}),
        ("post", "/api/chatbots/{bot}/publish/", {"changelog": 0}),
        ("patch", "/api/integrations/webhooks/{webhook}/", {"is_active": 0}),
        ("patch", "/api/integrations/webhooks/{webhook}/", {"is_active": "true"}),
        (
            "post",
            "/api/integrations/api-connections/",
            {"name": "A", "base_url": "https://a.example", "headers": {"X": 0}},
        ),
        ("post", "/api/integrations/test-api/", {"url": "https://a.example", "body": 0}),
        ("post", "/api/integrations/test-api/", {"url": "https://a.example", "timeout": "5"}),
        ("post", "/api/integrations/bulk_action/", {"action": "activate", "ids": ["1"]}),
    ],
)
def test_json_values_of_another_type_are_refused(auth_client, user, dns, method, url, body):
    dns.answers["a.example"] = ["93.184.215.14"]  # a public address: the outbound check passes
    bot = ChatbotFactory(owner=user)
    webhook = Webhook.objects.create(
        owner=user, name="w", url="https://a.example/", events=["session.started"], secret_encrypted=secret_encrypt("s")
    )
    before = (ApiConnection.objects.count(), Webhook.objects.values("is_active").get(), bot.description)
    response = getattr(auth_client, method)(url.format(bot=bot.pk, webhook=webhook.pk), body, format="json")
    assert response.status_code == 400
    bot.refresh_from_db()
    assert (ApiConnection.objects.count(), Webhook.objects.values("is_active").get(), bot.description) == before


def test_forms_still_send_text_for_every_type(auth_client):
    response = auth_client.patch("/api/auth/profile/", {"bio": "12", "timezone": "Europe/Lisbon"}, format="multipart")
    assert response.status_code == 200
    assert response.json()["bio"] == "12"
    blank = auth_client.patch("/api/auth/profile/", {"timezone": ""}, format="multipart")
    assert blank.status_code == 400
    assert "timezone" in blank.json()


def test_bulk_node_writes_answer_the_list_the_schema_documents(auth_client, user, openapi):
    bot = ChatbotFactory(owner=user)
    operation = openapi["paths"]["/api/components/instances/bulk/"]["post"]
    assert {p["name"] for p in operation.get("parameters", [])} & {"page", "page_size", "flow", "ordering"} == set()
    response = auth_client.post(
        "/api/components/instances/bulk/", {"flow": bot.main_flow_id, "create": [], "delete": []}, format="json"
    )
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    jsonschema.validate(response.json(), response_schema(openapi, "/api/components/instances/bulk/", "post", 200))


def test_a_preview_400_has_a_documented_shape(auth_client, user, openapi):
    bot = published_bot(owner=user)
    response = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {"variables": {"name": {}}}, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()["variables"], dict)  # errors nest under the key they belong to
    jsonschema.validate(response.json(), response_schema(openapi, "/api/chatbots/{id}/preview/", "post", 400))


def test_a_template_patch_takes_a_whole_graph(auth_client, user):
    created = auth_client.post(
        "/api/flows/templates/", {"name": "T", "graph": {"nodes": [], "edges": []}}, format="json"
    ).json()
    response = auth_client.patch(f"/api/flows/templates/{created['id']}/", {"graph": {"edges": []}}, format="json")
    assert response.status_code == 400
    assert "nodes" in str(response.json())


def test_each_pending_input_matches_exactly_one_documented_variant(api_client, user, openapi):
    """email_input and url_input (and text_input's options) have alike shapes: only their
    `type` tells them apart, so it must be documented as that one value."""
    from tests.factories import edge, node

    graph = {
        "nodes": [node("start", "start"), node("mail", "email_input", variable="mail"), node("end", "end")],
        "edges": [edge("start", "mail"), edge("mail", "end")],
        "variables": [{"name": "mail"}],
    }
    bot = published_bot(owner=user, graph=graph)
    turn = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    assert turn.json()["input"]["type"] == "email_input"
    jsonschema.validate(turn.json(), response_schema(openapi, "/api/flows/public/{public_id}/start/", "post", 201))


def test_a_malformed_sign_in_exchange_answers_a_documented_400(api_client, openapi):
    response = api_client.post("/api/auth/oauth/exchange/", {}, format="json")
    assert response.status_code == 400
    jsonschema.validate(response.json(), response_schema(openapi, "/api/auth/oauth/exchange/", "post", 400))


def test_a_multipart_body_with_no_part_is_400(auth_client):
    response = auth_client.generic(
        "PUT", "/api/auth/profile/", b"[1, 2]", content_type="multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 400
