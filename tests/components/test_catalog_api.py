import pytest

from components.catalog import COMPONENT_TYPES

pytestmark = pytest.mark.django_db

DOCUMENTED_TYPES = {
    "start",
    "message",
    "image",
    "video",
    "audio",
    "embed",
    "text_input",
    "number_input",
    "email_input",
    "phone_input",
    "url_input",
    "date_input",
    "choice",
    "picture_choice",
    "rating",
    "file_upload",
    "condition",
    "set_variable",
    "jump",
    "flow_link",
    "ab_test",
    "wait",
    "redirect",
    "http_request",
    "send_email",
    "end",
}


def test_types_lists_the_26_contract_types_with_schemas(auth_client):
    response = auth_client.get("/api/components/types/")
    assert response.status_code == 200
    types = {t["type"]: t for t in response.json()}
    assert set(types) == DOCUMENTED_TYPES
    assert types["choice"]["category"] == "input"
    assert types["choice"]["blocking"] is True
    assert types["choice"]["outputs"] == {
        "handles": ["default"],
        "dynamic": {"source": "options", "key": "id", "unless": "multiple"},
    }
    assert types["http_request"]["outputs"]["handles"] == ["success", "failure"]
    assert types["message"]["config_schema"]["properties"]["text"]["default"] == ""
    assert {"type", "category", "label", "description", "icon", "config_schema", "outputs", "blocking"} <= set(
        types["start"]
    )


def test_every_schema_is_valid_and_its_defaults_validate():
    from jsonschema import Draft202012Validator

    for component in COMPONENT_TYPES.values():
        Draft202012Validator.check_schema(component.config_schema)
        if not component.config_schema["required"]:
            Draft202012Validator(component.config_schema).validate(component.defaults())


def test_categories_and_grouping(auth_client):
    categories = auth_client.get("/api/components/categories/").json()
    assert [c["slug"] for c in categories] == ["event", "bubble", "input", "logic", "integration", "end"]
    assert sum(len(c["templates"]) for c in categories) == 26
    brief = auth_client.get("/api/components/categories-list/").json()
    assert {c["slug"]: c["count"] for c in brief}["input"] == 10
    grouped = auth_client.get("/api/components/templates/by_category/").json()
    assert grouped == categories
    assert auth_client.get("/api/components/categories/logic/").json()["name"] == "Logic"


def test_template_detail_and_search(auth_client):
    assert auth_client.get("/api/components/templates/rating/").json()["label"] == "Rating"
    assert auth_client.get("/api/components/templates/nope/").status_code == 404
    found = {t["type"] for t in auth_client.get("/api/components/templates/search/", {"q": "email"}).json()}
    assert {"email_input", "send_email"} <= found


def test_schema_endpoint(auth_client):
    body = auth_client.get("/api/components/schema/number_input/").json()
    assert body["type"] == "number_input"
    assert "min" in body["config_schema"]["properties"]
    assert auth_client.get("/api/components/schema/teleport/").status_code == 404


def test_validate_one_node_config(auth_client):
    ok = auth_client.post(
        "/api/components/validate/",
        {"type": "choice", "node_id": "n1", "data": {"options": [{"id": "y", "label": "Yes"}]}},
        format="json",
    ).json()
    assert ok["valid"] is True
    assert ok["outputs"] == ["y", "default"]
    assert ok["data"]["multiple"] is False
    bad = auth_client.post("/api/components/validate/", {"type": "rating", "data": {"max": 500}}, format="json").json()
    assert bad["valid"] is False
    assert "data.max" in bad["errors"]
    assert auth_client.post("/api/components/validate/", {"type": "teleport"}, format="json").status_code == 400


def test_catalog_requires_authentication(api_client):
    assert api_client.get("/api/components/types/").status_code == 401
