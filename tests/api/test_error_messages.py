"""Error messages are written for people: they say what is expected, not which regex failed."""

import pytest

from tests.factories import ChatbotFactory

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
