import json

from django.core.management import call_command
from django.db import connection

import pytest
from cryptography.fernet import Fernet

from integrations import delivery as webhooks
from integrations.crypto import secret_decrypt
from integrations.models import ApiConnection, Integration, IntegrationLog
from tests.executions.test_results_and_analytics import play
from tests.factories import published_bot

pytestmark = pytest.mark.django_db

CONNECTIONS = "/api/integrations/api-connections/"
INTEGRATIONS = "/api/integrations/"
SECRET = "sk_live_0123456789abcdefWXYZ"


def _connection(client, target, **body):
    payload = {"name": "CRM", "base_url": target.url_for("/api"), "auth_type": "bearer", "secret": SECRET, **body}
    response = client.post(CONNECTIONS, payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _raw_secret_column(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret_encrypted FROM {table}")  # noqa: S608 (fixed table name)
        return cursor.fetchone()[0]


def test_connection_secret_is_write_only_masked_and_encrypted_at_rest(auth_client, target):
    body = _connection(auth_client, target)
    assert "secret" not in body
    assert body["secret_hint"] == "…WXYZ"
    assert SECRET not in json.dumps(auth_client.get(CONNECTIONS).json())
    raw = _raw_secret_column("integrations_apiconnection")
    assert SECRET not in raw and "WXYZ" not in raw
    assert secret_decrypt(raw) == SECRET


def test_updating_without_secret_keeps_it(auth_client, target):
    body = _connection(auth_client, target)
    response = auth_client.patch(f"{CONNECTIONS}{body['id']}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert secret_decrypt(ApiConnection.objects.get().secret_encrypted) == SECRET
    auth_client.patch(f"{CONNECTIONS}{body['id']}/", {"secret": "new-secret-value-9876"}, format="json")
    assert auth_client.get(f"{CONNECTIONS}{body['id']}/").json()["secret_hint"] == "…9876"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"auth_type": "header", "auth_name": ""}, "auth_name"),
        ({"auth_type": "bearer", "secret": ""}, "secret"),
        ({"base_url": "http://10.1.2.3/api"}, "base_url"),
        ({"base_url": "http://metadata.google.internal/"}, "base_url"),
        ({"auth_type": "magic"}, "auth_type"),
    ],
)
def test_connection_refusals(auth_client, target, body, field):
    payload = {"name": "CRM", "base_url": target.url_for("/api"), "auth_type": "bearer", "secret": SECRET, **body}
    response = auth_client.post(CONNECTIONS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiConnection.objects.exists()


def test_duplicate_connection_name_is_400(auth_client, target):
    _connection(auth_client, target)
    response = auth_client.post(
        CONNECTIONS, {"name": "CRM", "base_url": target.url_for("/x"), "auth_type": "none"}, format="json"
    )
    assert response.status_code == 400


def test_connection_test_uses_auth_and_redacts_echoed_secrets(auth_client, target):
    body = _connection(auth_client, target)
    target.expect_request("/api").respond_with_json({"you_sent": f"Bearer {SECRET}"})
    result = auth_client.post(f"{CONNECTIONS}{body['id']}/test/").json()
    assert result["success"] is True and result["status_code"] == 200
    assert target.log[0][0].headers["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in json.dumps(result)
    assert "***" in result["response_excerpt"]
    log = IntegrationLog.objects.get()
    assert SECRET not in log.response_excerpt and SECRET not in log.url


def test_test_api_endpoint_with_a_connection_and_query_key(auth_client, target):
    body = _connection(auth_client, target, auth_type="query", auth_name="api_key")
    target.expect_request("/api/items", query_string={"api_key": SECRET, "q": "x"}).respond_with_json({"ok": 1})
    response = auth_client.post(
        "/api/integrations/test-api/",
        {"connection": body["id"], "url": "items", "query": {"q": "x"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status_code"] == 200
    assert SECRET not in json.dumps(response.json())
    assert SECRET not in IntegrationLog.objects.get().url


def test_test_api_endpoint_refusals(auth_client, target, other_user):
    foreign = ApiConnection.objects.create(owner=other_user, name="x", base_url="https://example.com")
    assert auth_client.post("/api/integrations/test-api/", {"connection": foreign.pk}, format="json").status_code == 400
    assert (
        auth_client.post("/api/integrations/test-api/", {"url": "http://127.0.0.1:1/"}, format="json").status_code
        == 400
    )
    assert auth_client.post("/api/integrations/test-api/", {}, format="json").status_code == 400
    mine = _connection(auth_client, target)
    absolute = {"connection": mine["id"], "url": "https://evil.example/steal"}
    assert auth_client.post("/api/integrations/test-api/", absolute, format="json").status_code == 400


def test_keys_rotate_without_losing_secrets(auth_client, target, settings):
    _connection(auth_client, target)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert secret_decrypt(ApiConnection.objects.get().secret_encrypted) == SECRET


def test_connections_are_owner_only(auth_client, other_client, target):
    body = _connection(auth_client, target)
    for method in ("get", "patch", "delete"):
        assert getattr(other_client, method)(f"{CONNECTIONS}{body['id']}/", {}, format="json").status_code == 404
    assert other_client.post(f"{CONNECTIONS}{body['id']}/test/").status_code == 404
    assert other_client.get(CONNECTIONS).json()["count"] == 0


def test_schema_never_exposes_secrets_in_responses(api_client):
    schema = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "secret" not in schema["ApiConnection"]["properties"]
    assert "secret" in schema["ApiConnectionRequest"]["properties"]


def test_integration_templates_are_listed(auth_client):
    slugs = {t["slug"] for t in auth_client.get("/api/integrations/templates/").json()}
    assert slugs == {"slack", "zapier", "rest-api", "google-sheets"}


def _integration(client, target, template="slack", **body):
    payload = {
        "name": "Team",
        "template": template,
        "config": {"url": target.url_for("/slack")},
        "events": ["session.completed"],
        **body,
    }
    response = client.post(INTEGRATIONS, payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "config.url"),
        ({"url": "not a url"}, "config.url"),
        ({"url": "http://192.168.1.1/x"}, "config.url"),
        ({"url": "https://example.com", "extra": 1}, "config.extra"),
    ],
)
def test_integration_config_is_validated(auth_client, target, config, field):
    body = {"name": "x", "template": "slack", "config": config, "events": ["session.completed"]}
    response = auth_client.post(INTEGRATIONS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_slack_integration_receives_a_readable_message(auth_client, api_client, target, user):
    bot = published_bot(owner=user, name="Sales bot")
    _integration(auth_client, target)
    target.expect_request("/slack").respond_with_data("ok")
    play(api_client, bot, ["Ana", "ana@example.com", "yes"])
    webhooks.deliver_due()
    message = json.loads(target.log[0][0].data)
    assert set(message) == {"text"}
    assert "*Sales bot* — session.completed" in message["text"]
    assert "email: ana@example.com" in message["text"]


def test_sheets_integration_receives_a_flat_row(auth_client, api_client, target, user):
    bot = published_bot(owner=user)
    _integration(auth_client, target, template="google-sheets")
    target.expect_request("/slack").respond_with_data("ok")
    session_id = play(api_client, bot, ["Ana", "ana@example.com", "no"])
    webhooks.deliver_due()
    row = json.loads(target.log[0][0].data)
    assert row["event"] == "session.completed"
    assert row["session_id"] == session_id
    assert row["name"] == "Ana" and row["news"] == "n"
    assert all(not isinstance(v, dict | list) for v in row.values())


def test_integration_test_and_bulk_actions(auth_client, target):
    first = _integration(auth_client, target, name="One")
    second = _integration(auth_client, target, name="Two")
    target.expect_request("/slack").respond_with_data("ok")
    assert auth_client.post(f"{INTEGRATIONS}{first['id']}/test/").json()["success"] is True
    result = auth_client.post(
        f"{INTEGRATIONS}bulk_action/", {"action": "deactivate", "ids": [first["id"], second["id"]]}, format="json"
    ).json()
    assert result == {"action": "deactivate", "affected": 2}
    assert not Integration.objects.filter(is_active=True).exists()
    deleted = auth_client.post(f"{INTEGRATIONS}bulk_action/", {"action": "delete", "ids": [first["id"]]}, format="json")
    assert deleted.json()["affected"] == 1
    assert (
        auth_client.post(f"{INTEGRATIONS}bulk_action/", {"action": "explode", "ids": [1]}, format="json").status_code
        == 400
    )


def test_bulk_actions_never_touch_other_users_integrations(auth_client, other_client, target):
    mine = _integration(auth_client, target)
    result = other_client.post(f"{INTEGRATIONS}bulk_action/", {"action": "delete", "ids": [mine["id"]]}, format="json")
    assert result.json()["affected"] == 0
    assert Integration.objects.filter(pk=mine["id"]).exists()
    assert other_client.get(f"{INTEGRATIONS}{mine['id']}/").status_code == 404
    assert other_client.post(f"{INTEGRATIONS}{mine['id']}/test/").status_code == 404


def test_integration_secret_is_encrypted_at_rest(auth_client, target):
    _integration(auth_client, target)
    raw = _raw_secret_column("integrations_integration")
    assert raw and not raw.startswith("whsec_")
    assert secret_decrypt(raw).startswith("whsec_")


def test_test_api_with_unicode_and_broken_headers_never_500s(auth_client, target):
    target.expect_request("/u").respond_with_data("ok")
    ok = auth_client.post(
        "/api/integrations/test-api/", {"url": target.url_for("/u"), "headers": {"X-Mark": "✓ done"}}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status_code"] == 200
    broken = auth_client.post(
        "/api/integrations/test-api/",
        {"url": target.url_for("/u"), "headers": {"X-Bad": "a\r\nInjected: 1"}},
        format="json",
    )
    assert broken.status_code == 200
    assert broken.json()["success"] is False


def test_the_integrations_collection_lives_at_the_prefix_root_beside_the_other_resources(auth_client, target):
    created = _integration(auth_client, target)
    listed = auth_client.get(INTEGRATIONS).json()
    assert [item["id"] for item in listed["results"]] == [created["id"]]
    assert auth_client.get(f"{INTEGRATIONS}{created['id']}/").json()["name"] == "Team"
    assert auth_client.patch(f"{INTEGRATIONS}{created['id']}/", {"name": "Ops"}, format="json").status_code == 200
    # The neighbours still answer as themselves.
    assert {t["slug"] for t in auth_client.get(f"{INTEGRATIONS}templates/").json()} >= {"slack"}
    assert auth_client.get(f"{INTEGRATIONS}templates/slack/").json()["slug"] == "slack"
    for neighbour in ("webhooks/", "api-connections/", "logs/"):
        assert "results" in auth_client.get(f"{INTEGRATIONS}{neighbour}").json(), neighbour
    assert auth_client.post(f"{INTEGRATIONS}test-api/", {}, format="json").status_code == 400
    assert auth_client.post(f"{INTEGRATIONS}test-webhook/", {}, format="json").status_code == 400
    assert auth_client.get("/api/").json()["integrations"]["integrations"].endswith("/api/integrations/")


def test_the_old_integrations_path_is_a_deprecated_alias_for_one_release(auth_client, target, api_client):
    created = _integration(auth_client, target)
    old = "/api/integrations/integrations/"
    listed = auth_client.get(old)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [created["id"]]
    assert listed["Deprecation"] == "true"
    assert '</api/integrations/>; rel="successor-version"' in listed["Link"]
    assert auth_client.get(f"{old}{created['id']}/").json()["name"] == "Team"
    body = {"action": "deactivate", "ids": [created["id"]]}
    deactivated = auth_client.post(f"{old}bulk_action/", body, format="json")
    assert deactivated.json() == {"action": "deactivate", "affected": 1}
    schema = api_client.get("/api/schema/?format=json").json()
    assert schema["paths"]["/api/integrations/integrations/"]["get"]["deprecated"] is True
    assert "deprecated" not in schema["paths"]["/api/integrations/"]["get"]
