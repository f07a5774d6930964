import os
import re
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management import call_command

import pytest

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[2]


def test_schema_builds_without_warnings_or_errors(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/auth/login/" in text


def test_schema_endpoint_serves_openapi(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    login = schema["paths"]["/api/auth/login/"]["post"]
    assert {"200", "401", "429"} <= set(login["responses"])


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/?format=json").json()


def test_every_operation_documents_the_errors_it_can_answer(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            security = operation.get("security")
            if security and {} not in security:
                assert "401" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in operation:
                assert "400" in codes, (method, path)


def test_json_endpoints_document_json_bodies_only(schema):
    graph = schema["paths"]["/api/chatbots/{chatbot_pk}/flows/{id}/graph/"]["put"]
    assert list(graph["requestBody"]["content"]) == ["application/json"]
    upload = schema["paths"]["/api/flows/public/sessions/{session_id}/files/"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]


def test_a_refused_publish_is_documented_as_a_list_of_problems_or_field_errors(schema):
    response = schema["paths"]["/api/chatbots/{id}/publish/"]["post"]["responses"]["400"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["oneOf"] == [
        {"type": "array", "items": {"$ref": "#/components/schemas/PublishError"}},
        {"$ref": "#/components/schemas/FieldErrors"},
        {"$ref": "#/components/schemas/Detail"},
    ]


def test_values_that_may_be_empty_or_null_are_documented_so(schema):
    components = schema["components"]["schemas"]
    assert components["Chatbot"]["properties"]["live_version"]["nullable"] is True
    assert "format" not in components["IntegrationTemplate"]["properties"]["docs_url"]


@pytest.mark.parametrize("path", ["/api/schema/swagger-ui/", "/api/schema/redoc/"])
def test_docs_pages_load_only_our_own_static_files(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    external = [url for url in re.findall(r"""(?:src|href)=["']([^"']+)""", html) if "://" in url]
    assert external == []
    assets = re.findall(r"""/static/(drf_spectacular_sidecar/[^"'\s]+)""", html)
    assert assets, "the page should load its assets from our static files"
    for asset in assets:
        assert finders.find(asset), asset


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": "x7#kq2!pL9vR4zT6wY1uE8oI3aS5dF0gH2jK4lZ6xC8vB1nM3qW5eR7tY9uI0oP2",
        "ALLOWED_HOSTS": "chat.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "FIELD_ENCRYPTION_KEYS": "Jf2l6xVfXg0FQyQO3m0n2w1bQbq9cE8bZx0bq2mYk2Q=",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_encryption_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEYS"}
    env.update({"DEBUG": "False", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "chat.example.com"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "False", "ALLOWED_HOSTS": "chat.example.com"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_admin_lists_users_with_search(admin_client, user):
    response = admin_client.get("/admin/authentication/user/", {"q": user.username})
    assert response.status_code == 200
    assert user.email in response.content.decode()
    detail = admin_client.get(f"/admin/authentication/user/{user.pk}/change/")
    assert detail.status_code == 200
    assert "Bio" in detail.content.decode()


def test_a_preview_sessions_missing_version_is_documented_as_nullable(schema):
    assert schema["components"]["schemas"]["ChatSession"]["properties"]["version"]["nullable"] is True


def test_catalog_actions_that_do_not_filter_document_no_filters(schema):
    for path in ("/api/components/templates/by_category/", "/api/components/templates/search/"):
        names = {param["name"] for param in schema["paths"][path]["get"].get("parameters", [])}
        assert not names & {"blocking", "search", "ordering"}, path


def test_a_chatbots_appearance_and_behaviour_are_documented_key_by_key(schema):
    components = schema["components"]["schemas"]
    for component in ("Chatbot", "ChatbotCreateRequest", "PatchedChatbotUpdateRequest"):
        behavior = components[component]["properties"]["behavior"]
        assert behavior["additionalProperties"] is False, component
        assert behavior["properties"]["session_timeout_minutes"]["default"] == 1440, component
    assert components["Chatbot"]["properties"]["appearance"]["properties"]["position"]["enum"] == ["left", "right"]


@pytest.mark.parametrize("path", ["/api/schema/swagger-ui/", "/api/schema/redoc/"])
def test_docs_pages_may_load_nothing_from_other_hosts(client, path):
    # ReDoc's bundle adds its vendor's logo from a CDN: the policy keeps the browser from fetching it.
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy
