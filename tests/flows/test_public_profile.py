from django.core.cache import cache

import pytest

from tests.factories import ChatbotFactory, edge, node, published_bot

pytestmark = pytest.mark.django_db


def profile(client, chatbot_or_id, **extra):
    public_id = getattr(chatbot_or_id, "public_id", chatbot_or_id)
    return client.get(f"/api/flows/public/{public_id}/", **extra)


def test_the_profile_gives_a_chat_client_the_look_and_behaviour_the_owner_saved(api_client):
    bot = published_bot(
        name="Support",
        description="internal notes",
        appearance={"title": "Help desk", "primary_color": "#ff0000", "position": "left", "theme": "dark"},
        behavior={"typing_delay_ms": 0, "input_placeholder": "Ask away", "session_timeout_minutes": 5},
    )
    response = profile(api_client, bot)
    assert response.status_code == 200
    assert response.json() == {
        "public_id": bot.public_id,
        "name": "Support",
        "appearance": {
            "title": "Help desk",
            "welcome_text": "",
            "avatar_url": "",
            "primary_color": "#ff0000",
            "background_color": "#ffffff",
            "text_color": "#111827",
            "bot_bubble_color": "#f3f4f6",
            "user_bubble_color": "#2563eb",
            "font_family": "",
            "position": "left",
            "theme": "dark",
        },
        "behavior": {"typing_delay_ms": 0, "input_placeholder": "Ask away"},
        "uploads": {"enabled": False, "max_size_mb": 10},
    }


def test_the_profile_fills_in_settings_added_after_the_bot_was_saved(api_client):
    bot = published_bot()
    type(bot).objects.filter(pk=bot.pk).update(appearance={"title": "Old"}, behavior={})
    body = profile(api_client, bot).json()
    assert body["appearance"]["title"] == "Old"
    assert body["appearance"]["theme"] == "light"
    assert body["behavior"] == {"typing_delay_ms": 600, "input_placeholder": "Type your answer…"}


def test_the_profile_says_when_the_bot_asks_for_files(api_client, settings):
    settings.CHAT_UPLOAD_MAX_MB = 4
    graph = {
        "nodes": [node("start", "start"), node("cv", "file_upload", prompt="Your CV?"), node("end", "end")],
        "edges": [edge("start", "cv"), edge("cv", "end")],
        "variables": [],
    }
    assert profile(api_client, published_bot(graph=graph)).json()["uploads"] == {"enabled": True, "max_size_mb": 4}


def test_a_cached_upload_answer_costs_one_query(api_client, django_assert_num_queries):
    bot = published_bot()
    profile(api_client, bot)
    with django_assert_num_queries(1):
        assert profile(api_client, bot).status_code == 200
    cache.clear()
    with django_assert_num_queries(2):  # the version's snapshot is read again once
        assert profile(api_client, bot).status_code == 200


def test_only_published_bots_have_a_profile(api_client):
    assert profile(api_client, ChatbotFactory()).status_code == 404
    archived = published_bot()
    archived.status = "archived"
    archived.save()
    assert profile(api_client, archived).status_code == 404
    assert profile(api_client, "no-such-bot").json() == {"detail": "No published chatbot has this id."}


def test_the_profile_is_revalidated_by_its_etag(api_client):
    bot = published_bot()
    first = profile(api_client, bot)
    etag = first["ETag"]
    assert etag.startswith('"') and first["Cache-Control"] == "public, no-cache"
    assert "Origin" in first["Vary"]
    again = profile(api_client, bot, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    bot.appearance = {**bot.appearance, "title": "Renamed"}
    bot.save()
    changed = profile(api_client, bot, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["appearance"]["title"] == "Renamed"


def test_a_refused_origin_is_told_which_origin_and_which_setting(api_client):
    bot = published_bot(behavior={"allowed_origins": ["https://shop.example"]})
    refused = profile(api_client, bot, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "https://evil.example" in detail
    assert "behavior.allowed_origins" in detail
    assert profile(api_client, bot, HTTP_ORIGIN="https://shop.example").status_code == 200
    assert profile(api_client, bot).status_code == 200  # no Origin: not a page of another site


def test_the_servers_own_pages_are_never_refused_as_embeds(api_client):
    # The hosted chat page (/chat/<id>/) calls the API from this server's own origin.
    bot = published_bot(behavior={"allowed_origins": ["https://shop.example"]})
    own = {"HTTP_ORIGIN": "http://testserver"}
    assert profile(api_client, bot, **own).status_code == 200
    start = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json", **own)
    assert start.status_code == 201
    reply = api_client.post(
        f"/api/flows/public/sessions/{start.json()['session_id']}/reply/", {"value": "Ana"}, format="json", **own
    )
    assert reply.status_code == 200


def test_the_chat_start_names_a_refused_origin_too(api_client):
    bot = published_bot(behavior={"allowed_origins": ["https://shop.example"]})
    response = api_client.post(
        f"/api/flows/public/{bot.public_id}/start/", {}, format="json", HTTP_ORIGIN="http://localhost:8080"
    )
    assert response.status_code == 403
    assert "http://localhost:8080" in response.json()["detail"]
    assert "behavior.allowed_origins" in response.json()["detail"]


def test_the_profile_has_its_own_rate_limit(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_profile": "2/min"},
    }
    bot = published_bot()
    assert [profile(api_client, bot).status_code for _ in range(3)] == [200, 200, 429]
    # Page views do not eat into the chat's own budget.
    assert api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").status_code == 201


def test_pages_on_other_origins_can_read_the_headers_clients_need(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat_start": "1/min"},
    }
    bot = published_bot()
    url = f"/api/flows/public/{bot.public_id}/start/"
    api_client.post(url, {}, format="json", HTTP_ORIGIN="https://shop.example")
    limited = api_client.post(url, {}, format="json", HTTP_ORIGIN="https://shop.example")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    exposed = {name.strip().lower() for name in limited["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "content-disposition", "etag"} <= exposed


def test_the_builder_api_allows_the_usual_local_dev_servers_in_the_generated_env():
    from pathlib import Path

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    line = next(line for line in example.splitlines() if line.startswith("CORS_ALLOWED_ORIGINS="))
    origins = line.split("=", 1)[1].split(",")
    for origin in ("http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000", "http://127.0.0.1:3000"):
        assert origin in origins


def test_the_profile_is_documented(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/flows/public/{public_id}/"]["get"]
    assert {"200", "304", "403", "404", "429"} <= set(operation["responses"])
    assert operation.get("security") in (None, [{}])  # public: no credentials
    component = schema["components"]["schemas"]["ChatbotProfile"]
    assert set(component["properties"]) == {"public_id", "name", "appearance", "behavior", "uploads"}
    assert set(component["properties"]["behavior"]["properties"]) == {"typing_delay_ms", "input_placeholder"}
    assert component["properties"]["appearance"]["properties"]["theme"]["enum"] == ["light", "dark", "auto"]
