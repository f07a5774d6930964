"""The OpenAPI schema describes what the API really returns: the chat turn type by type, a graph
example that is a valid graph, and no padlock where no credentials are read."""

import itertools

import pytest

from tests.factories import ChatbotFactory, edge, node, published_bot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


def _component(schema: dict, ref_holder: dict) -> dict:
    return schema["components"]["schemas"][ref_holder["$ref"].rsplit("/", 1)[1]]


def _variants(schema: dict, name: str) -> dict[str, dict]:
    """{discriminator value: component} of a polymorphic component."""
    mapping = schema["components"]["schemas"][name]["discriminator"]["mapping"]
    return {value: schema["components"]["schemas"][ref.rsplit("/", 1)[1]] for value, ref in mapping.items()}


def _start(client, graph: dict, owner) -> dict:
    bot = published_bot(owner=owner, graph=graph)
    response = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_every_bubble_and_action_carries_exactly_the_documented_fields(schema, api_client, user):
    bubbles = _variants(schema, "ChatBubble")
    actions = _variants(schema, "ClientAction")
    assert set(bubbles) == {"text", "image", "video", "audio", "embed"}
    assert set(actions) == {"wait", "redirect"}
    url = "https://example.com/x"
    graph = {
        "nodes": [
            node("start", "start"),
            node("t", "message", text="Hello"),
            node("i", "image", url=url, alt="A", link=url),
            node("w", "wait", seconds=1),
            node("v", "video", url=url),
            node("a", "audio", url=url),
            node("e", "embed", url=url),
            node("r", "redirect", url=url),
            node("end", "end"),
        ],
        "edges": [edge(s, t) for s, t in itertools.pairwise(["start", "t", "i", "w", "v", "a", "e", "r", "end"])],
        "variables": [],
    }
    turn = _start(api_client, graph, user)
    assert [m["type"] for m in turn["messages"]] == ["text", "image", "video", "audio", "embed"]
    for message in turn["messages"]:
        documented = bubbles[message["type"]]
        assert set(message) == set(documented["properties"]), message["type"]
        assert set(documented["required"]) <= set(message)
    for action in turn["actions"]:
        assert set(action) == set(actions[action["type"]]["properties"]), action["type"]


INPUTS = {
    "text_input": {},
    "number_input": {},
    "email_input": {},
    "phone_input": {},
    "url_input": {},
    "date_input": {},
    "choice": {"options": [{"id": "a", "label": "A"}]},
    "picture_choice": {"options": [{"id": "a", "label": "A", "image_url": "https://example.com/a.png"}]},
    "rating": {},
    "file_upload": {},
}


@pytest.mark.parametrize("type_name", INPUTS)
def test_every_pending_input_carries_exactly_the_documented_options(schema, api_client, user, type_name):
    documented = _variants(schema, "PendingInput")[type_name]
    graph = {
        "nodes": [node("start", "start"), node("ask", type_name, **INPUTS[type_name])],
        "edges": [edge("start", "ask")],
        "variables": [],
    }
    pending = _start(api_client, graph, user)["input"]
    assert pending["type"] == type_name
    assert set(pending) == set(documented["properties"])
    options = _component(schema, documented["properties"]["options"])
    assert set(pending["options"]) == set(options["properties"])
    if "choices" in pending:
        choice = _component(schema, documented["properties"]["choices"]["items"])
        assert set(pending["choices"][0]) == set(choice["properties"])


def test_the_documented_graph_example_is_a_valid_graph(schema, auth_client, user):
    put = schema["paths"]["/api/chatbots/{chatbot_pk}/flows/{id}/graph/"]["put"]
    (example,) = put["requestBody"]["content"]["application/json"]["examples"].values()
    assert "additionalProp1" not in str(example)
    chatbot = ChatbotFactory(owner=user)
    url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/"
    assert auth_client.put(f"{url}graph/", example["value"], format="json").status_code == 200
    assert auth_client.post(f"{url}validate/").json() == {"errors": [], "warnings": []}


def test_the_turn_examples_are_turns(schema):
    reply = schema["paths"]["/api/flows/public/sessions/{session_id}/reply/"]["post"]["responses"]["200"]
    examples = reply["content"]["application/json"]["examples"]
    bubbles, inputs = _variants(schema, "ChatBubble"), _variants(schema, "PendingInput")
    for example in examples.values():
        turn = example["value"]
        for message in turn["messages"]:
            assert set(message) == set(bubbles[message["type"]]["properties"])
        if turn["input"]:
            assert set(turn["input"]) == set(inputs[turn["input"]["type"]]["properties"])


def test_operations_that_read_no_credentials_show_no_padlock_and_jwt_comes_first(schema):
    assert next(iter(schema["components"]["securitySchemes"])) == "jwtAuth"
    for path, method in [
        ("/api/auth/register/", "post"),
        ("/api/auth/login/", "post"),
        ("/api/auth/token/refresh/", "post"),
        ("/api/", "get"),
        ("/api/flows/public/{public_id}/start/", "post"),
    ]:
        assert "security" not in schema["paths"][path][method], path
    assert schema["paths"]["/api/auth/profile/"]["get"]["security"][0] == {"jwtAuth": []}


def test_register_ignores_a_stale_bearer_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.bogus")
    body = {
        "username": "ana",
        "email": "ana@example.com",
        "password": "Sup3r-secret-pass",
        "password_confirm": "Sup3r-secret-pass",
    }
    assert api_client.post("/api/auth/register/", body, format="json").status_code == 201
