import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

import pytest
from rest_framework.test import APIClient

from config.middleware import ApiErrorMiddleware
from config.views import csrf_failure
from executions.models import ChatMessage
from tests.factories import published_bot

pytestmark = pytest.mark.django_db


def test_unknown_api_url_is_json_404(api_client):
    response = api_client.get("/api/does-not-exist/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unknown_api_url_is_json_404_in_debug_too(api_client, settings):
    settings.DEBUG = True
    response = api_client.post("/api/nothing/here/", {})
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_missing_trailing_slash_gets_a_hint_not_a_redirect(api_client):
    response = api_client.post("/api/auth/login", {})
    assert response.status_code == 404
    assert "/api/auth/login/" in response.json()["detail"]
    assert api_client.get("/api/nothing").json() == {"detail": "Not found."}


def test_malformed_json_is_400(api_client):
    response = api_client.generic("POST", "/api/auth/login/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_five_thousand_levels_of_nesting_is_400_not_500(api_client):
    body = "[" * 5000 + "]" * 5000
    response = api_client.generic("POST", "/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nest" in response.json()["detail"]


def test_moderately_deep_json_is_400_too(api_client):
    body = json.dumps({"username": json.loads("[" * 100 + "]" * 100), "password": "x"})
    response = api_client.generic("POST", "/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("body", ['{"username": NaN}', '{"a": Infinity}', "\xff\xfe"])
def test_non_standard_json_is_400(api_client, body):
    response = api_client.generic("POST", "/api/auth/login/", body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400


def test_a_number_too_large_for_a_float_is_400_naming_it(api_client):
    body = b'{"username": "a", "password": "b", "extra": 1e999}'
    response = api_client.generic("POST", "/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert "1e999 is too large a number" in response.json()["detail"]


def test_wrong_types_in_fields_are_400(api_client):
    response = api_client.post("/api/auth/register/", {"username": ["a"], "email": {}, "password": 1}, format="json")
    assert response.status_code == 400


def test_json_array_body_is_400(api_client):
    response = api_client.post("/api/auth/register/", [1, 2, 3], format="json")
    assert response.status_code == 400


def test_body_over_the_limit_is_json_413(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    response = api_client.generic("POST", "/api/auth/login/", "x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]


def test_unsupported_media_type_is_json_415(api_client):
    response = api_client.generic("POST", "/api/auth/login/", "<a/>", content_type="application/xml")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_unexpected_error_is_json_500_without_traceback():
    def broken_view(request):
        raise RuntimeError("secret internals")

    middleware = ApiErrorMiddleware(broken_view)
    request = RequestFactory().get("/api/anything/")
    response = middleware.process_exception(request, RuntimeError("secret internals"))
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "Internal server error."}


def test_unexpected_error_outside_api_is_left_to_django():
    middleware = ApiErrorMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/admin/"), RuntimeError()) is None


def test_api_root_lists_endpoints(api_client):
    response = api_client.get("/api/")
    assert response.status_code == 200
    body = response.json()
    assert body["auth"]["login"] == "http://testserver/api/auth/login/"
    assert body["docs"]["swagger_ui"] == "http://testserver/api/schema/swagger-ui/"


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_cors_preflight_from_allowed_builder_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://builder.example"]
    response = APIClient().options(
        "/api/auth/login/", HTTP_ORIGIN="http://builder.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert response["Access-Control-Allow-Origin"] == "http://builder.example"


def test_cors_refuses_unknown_origin_on_the_builder_api(settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://builder.example"]
    response = APIClient().options(
        "/api/auth/login/", HTTP_ORIGIN="http://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in response


def test_list_pagination_page_size_is_capped():
    from config.pagination import StandardPagination

    assert StandardPagination.max_page_size == 100


def patch_profile_form(client, fields: str):
    """PATCH the profile (one of the views that still parse forms) with a urlencoded body."""
    return client.generic("PATCH", "/api/auth/profile/", fields, content_type="application/x-www-form-urlencoded")


def test_a_form_with_more_fields_than_django_allows_is_400(auth_client):
    response = patch_profile_form(auth_client, "&".join(f"f{n}=1" for n in range(1001)))
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many fields in the request."}


def test_a_multipart_body_with_more_fields_than_django_allows_is_400(auth_client):
    response = auth_client.patch("/api/auth/profile/", {f"f{n}": "1" for n in range(1100)}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many fields in the request."}


def test_json_endpoints_refuse_form_bodies_with_415(auth_client):
    response = auth_client.generic(
        "POST", "/api/chatbots/", "name=Bot", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


def test_a_query_string_with_more_parameters_than_django_allows_is_400(auth_client):
    response = auth_client.get("/api/chatbots/?" + "&".join(f"q{n}=1" for n in range(1001)))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_form_past_djangos_memory_limit_is_json_413(auth_client, settings):
    # Below the middleware's declared-length check, as a body sent without a length would be.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = patch_profile_form(auth_client, "&".join(f"f{n}=value" for n in range(50)))
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large."}


def test_an_upload_with_more_files_than_django_allows_is_400(api_client):
    files = {f"file{n}": SimpleUploadedFile(f"{n}.txt", b"x") for n in range(101)}
    response = api_client.post(
        "/api/flows/public/sessions/00000000-0000-4000-8000-000000000000/files/", files, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many files in the request."}


def test_a_post_with_a_session_cookie_to_an_unknown_api_url_is_json_404():
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "anything"
    response = client.post("/api/chatbots/not-a-number/flows/x/clone/", {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_csrf_failure_under_the_api_is_json_403():
    response = csrf_failure(RequestFactory().post("/api/anything/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert json.loads(response.content) == {"detail": "CSRF failed: CSRF cookie not set."}
    assert csrf_failure(RequestFactory().post("/admin/login/"), reason="x")["Content-Type"].startswith("text/html")


def test_field_errors_raised_by_views_are_lists_of_messages_like_a_serializers(auth_client):
    response = auth_client.post("/api/components/instances/", {"id": "n1", "type": "message"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"flow": ["This field is required."]}
    response = auth_client.post(
        "/api/components/instances/", {"flow": 999999, "id": "n1", "type": "message"}, format="json"
    )
    assert response.json() == {"flow": ["No such flow."]}


def test_a_search_with_a_null_character_is_400_with_a_detail(auth_client):
    response = auth_client.get("/api/chatbots/?search=a%00b")
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/executions/sessions/?is_preview=maybe", "/api/flows/templates/?is_public=2"])
def test_a_boolean_filter_that_is_neither_true_nor_false_is_400(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 400
    assert list(response.json().values()) == [["Use true or false."]]


@pytest.mark.parametrize("value", ["true", "FALSE", "1", "0"])
def test_boolean_filters_take_true_false_1_0(auth_client, value):
    assert auth_client.get(f"/api/executions/sessions/?is_preview={value}").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "is_preview=",
        "status=",
        "chatbot=",
        "started_after=",
        "page_size=",
        "page_size=true",
        "page_size=0",
        "page=",
        "page=last",
    ],
)
def test_a_filter_or_page_size_given_empty_or_of_the_wrong_type_is_400(auth_client, query):
    response = auth_client.get(f"/api/executions/sessions/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.parametrize(
    "body",
    ['{"username": "a\\u0000b", "password": "x"}', '{"a\\u0000": 1}', '[["\\u0000"]]', '"\\u0000"'],
    ids=["value", "key", "nested", "alone"],
)
def test_a_null_character_anywhere_in_a_json_body_is_400(api_client, body):
    response = api_client.generic("POST", "/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL characters" in response.json()["detail"]


def test_a_null_character_in_a_chat_answer_is_400_and_stores_nothing(api_client, user):
    bot = published_bot(owner=user)
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    before = ChatMessage.objects.filter(session_id=session_id).count()
    reply = f"/api/flows/public/sessions/{session_id}/reply/"
    response = api_client.generic("POST", reply, '{"value": "a\\u0000b"}', content_type="application/json")
    assert response.status_code == 400
    assert ChatMessage.objects.filter(session_id=session_id).count() == before
    start = f"/api/flows/public/{bot.public_id}/start/"
    response = api_client.generic("POST", start, '{"variables": {"name": "\\u0000"}}', content_type="application/json")
    assert response.status_code == 400


def test_a_literal_backslash_u0000_is_ordinary_text(api_client):
    body = json.dumps({"username": "a\\u0000b", "password": "x"})
    response = api_client.generic("POST", "/api/auth/login/", body, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_options_on_a_chatbots_runtime_actions_describes_them(auth_client, user):
    from tests.factories import published_bot

    bot = published_bot(owner=user)
    for action in ("preview", "results", "analytics"):
        response = auth_client.options(f"/api/chatbots/{bot.pk}/{action}/")
        assert response.status_code == 200, (action, response.content)


@pytest.mark.django_db
def test_the_schema_asked_for_by_a_signed_in_user_builds_without_warnings(auth_client, capsys):
    response = auth_client.get("/api/schema/")
    assert response.status_code == 200
    assert "Warning" not in capsys.readouterr().err
