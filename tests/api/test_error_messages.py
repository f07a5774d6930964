"""Error messages are written for people: they say what is expected, not which regex failed."""

from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import ChatbotFactory, published_bot

pytestmark = pytest.mark.django_db


def test_a_bad_embed_origin_is_explained_in_a_sentence(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    response = auth_client.patch(
        f"/api/chatbots/{chatbot.pk}/", {"behavior": {"allowed_origins": ["127.0.0.1:8323"]}}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "behavior.allowed_origins.0": [
            "Must be an origin such as https://example.com: scheme, host and optional port, no path "
            "(got '127.0.0.1:8323')."
        ]
    }
    assert "does not match" not in str(response.json())


def test_an_origin_with_a_trailing_slash_or_capitals_is_accepted_and_normalised(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    origins = ["https://Example.com/", "http://localhost:8323/", "https://example.com"]
    response = auth_client.patch(
        f"/api/chatbots/{chatbot.pk}/", {"behavior": {"allowed_origins": origins}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["behavior"]["allowed_origins"] == ["https://example.com", "http://localhost:8323"]


@pytest.mark.parametrize(
    ("behavior", "key", "message"),
    [
        ({"typing_delay_ms": 99_999}, "behavior.typing_delay_ms", "Must be at most 10000."),
        ({"typing_delay_ms": "fast"}, "behavior.typing_delay_ms", "Must be a whole number."),
        ({"allowed_origins": "https://example.com"}, "behavior.allowed_origins", "Must be a list."),
        ({"speed": 1}, "behavior.speed", "Unknown field."),
    ],
)
def test_settings_errors_name_the_key_and_say_what_is_expected(auth_client, user, behavior, key, message):
    chatbot = ChatbotFactory(owner=user)
    response = auth_client.patch(f"/api/chatbots/{chatbot.pk}/", {"behavior": behavior}, format="json")
    assert response.status_code == 400
    assert response.json() == {key: [message]}


def test_node_config_errors_are_sentences(auth_client, user):
    chatbot = ChatbotFactory(owner=user)
    graph = {
        "nodes": [
            {"id": "start", "type": "start", "data": {}},
            {"id": "ask", "type": "text_input", "data": {"variable": "2nd", "max_length": 0}},
            {"id": "tel", "type": "phone_input", "data": {"default_country": "portugal"}},
        ],
        "edges": [],
    }
    response = auth_client.put(f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/", graph, format="json")
    assert response.status_code == 400
    nodes = response.json()["nodes"]
    assert nodes["ask"]["data.max_length"] == ["Must be at least 1."]
    assert nodes["ask"]["data.variable"] == [
        "Must be a variable name: letters, digits and _, not starting with a digit (got '2nd')."
    ]
    assert nodes["tel"]["data.default_country"] == [
        "Must be a two-letter country code such as PT, or empty (got 'portugal')."
    ]


def test_an_expired_token_says_so_at_the_top_level(api_client, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=5))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get("/api/auth/profile/")
    assert response.status_code == 401
    body = response.json()
    assert body["detail"] == "Token is expired"
    assert body["code"] == "token_not_valid"
    assert body["messages"][0]["message"] == "Token is expired"
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/auth/profile/").json()["detail"] == "Token is invalid"


def test_another_authorization_scheme_is_told_to_use_bearer(api_client, user):
    token = AccessToken.for_user(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get("/api/auth/profile/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "The Authorization header must use the Bearer scheme: `Authorization: Bearer <access token>` "
        "(got 'Token')."
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    api_client.credentials()
    assert api_client.get("/api/auth/profile/").json() == {"detail": "Authentication credentials were not provided."}


def test_a_reply_naming_a_node_that_is_not_an_input_says_so(api_client, user):
    bot = published_bot(owner=user)
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    url = f"/api/flows/public/sessions/{session_id}/reply/"
    message = api_client.post(url, {"value": "Ana", "node_id": "hello"}, format="json")
    assert message.status_code == 400
    assert message.json() == {
        "node_id": ["Node 'hello' is a message node, not an input; name the pending input (or leave node_id out)."]
    }
    unknown = api_client.post(url, {"value": "Ana", "node_id": "ghost"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["node_id"] == [
        "This chatbot has no node 'ghost'; name the pending input (or leave node_id out)."
    ]
    later = api_client.post(url, {"value": "Ana", "node_id": "email"}, format="json")
    assert later.status_code == 409
    assert api_client.post(url, {"value": "Ana", "node_id": "name"}, format="json").status_code == 200
    again = api_client.post(url, {"value": "Ana", "node_id": "name"}, format="json")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "This input was already answered; the conversation has moved on.",
    )
