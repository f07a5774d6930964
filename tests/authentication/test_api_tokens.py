"""Personal API tokens: `Authorization: Bearer cbt_…` beside JWTs."""

import hashlib
from datetime import timedelta

from django.utils import timezone

import pytest
from rest_framework.test import APIClient

from authentication.models import ApiToken
from tests.factories import DEFAULT_PASSWORD, ChatbotFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/api/auth/tokens/"


def make_token(client: APIClient, **body) -> dict:
    response = client.post(TOKENS, {"name": "CI script", **body})
    assert response.status_code == 201, response.content
    return response.json()


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def jwt_client(user) -> APIClient:
    body = APIClient().post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}).json()
    return bearer(body["access"])


def test_a_token_is_shown_once_and_stored_only_as_a_hash(auth_client):
    created = make_token(auth_client, access="read_write")
    secret = created["token"]
    assert secret.startswith("cbt_")
    assert created["prefix"] == secret[:12]
    assert set(created) == {"id", "name", "prefix", "access", "expires_at", "last_used_at", "created_at", "token"}
    stored = ApiToken.objects.get()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())

    listed = auth_client.get(TOKENS).json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0]
    detail = auth_client.get(f"{TOKENS}{created['id']}/").json()
    assert "token" not in detail
    assert detail["name"] == "CI script"


def test_tokens_default_to_read_only_and_never_expiring(auth_client):
    created = make_token(auth_client)
    assert (created["access"], created["expires_at"]) == ("read_only", None)


def test_a_token_signs_in_beside_jwts_and_sees_only_its_owners_data(auth_client, user, other_user):
    mine = ChatbotFactory(owner=user)
    ChatbotFactory(owner=other_user)
    client = bearer(make_token(auth_client)["token"])
    response = client.get("/api/chatbots/")
    assert response.status_code == 200
    assert [bot["id"] for bot in response.json()["results"]] == [mine.pk]
    # JWTs still work next to it.
    assert jwt_client(user).get("/api/chatbots/").status_code == 200


def test_the_last_use_is_recorded(auth_client):
    created = make_token(auth_client)
    assert created["last_used_at"] is None
    before = timezone.now()
    bearer(created["token"]).get("/api/auth/profile/")
    used = ApiToken.objects.get().last_used_at
    assert used is not None and used >= before
    assert auth_client.get(TOKENS).json()["results"][0]["last_used_at"] is not None


def test_the_last_use_is_written_at_most_once_a_minute(auth_client):
    client = bearer(make_token(auth_client)["token"])
    client.get("/api/auth/stats/")
    stamp = ApiToken.objects.get().last_used_at
    client.get("/api/auth/stats/")
    assert ApiToken.objects.get().last_used_at == stamp
    ApiToken.objects.update(last_used_at=stamp - timedelta(minutes=2))
    client.get("/api/auth/stats/")
    assert ApiToken.objects.get().last_used_at > stamp


def test_a_read_only_token_reads_but_gets_403_on_writes(auth_client, user):
    bot = ChatbotFactory(owner=user)
    client = bearer(make_token(auth_client, access="read_only")["token"])
    assert client.get(f"/api/chatbots/{bot.pk}/").status_code == 200
    for method, url, body in [
        ("post", "/api/chatbots/", {"name": "New"}),
        ("patch", f"/api/chatbots/{bot.pk}/", {"name": "Renamed"}),
        ("delete", f"/api/chatbots/{bot.pk}/", None),
        ("patch", "/api/auth/profile/", {"bio": "hi"}),
    ]:
        response = getattr(client, method)(url, body)
        assert response.status_code == 403, (method, url)
        assert "read-only" in response.json()["detail"]
    bot.refresh_from_db()
    assert bot.name != "Renamed"


def test_a_read_write_token_writes(auth_client):
    client = bearer(make_token(auth_client, access="read_write")["token"])
    assert client.post("/api/chatbots/", {"name": "From a script"}).status_code == 201


def test_a_revoked_token_stops_at_once(auth_client):
    created = make_token(auth_client)
    client = bearer(created["token"])
    assert client.get("/api/auth/profile/").status_code == 200
    assert auth_client.delete(f"{TOKENS}{created['id']}/").status_code == 204
    response = client.get("/api/auth/profile/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_password_change_stops_every_token_at_once(user):
    signed_in = jwt_client(user)
    client = bearer(make_token(signed_in, access="read_write")["token"])
    assert client.get("/api/auth/profile/").status_code == 200
    new = "An0ther-long-passphrase"
    response = signed_in.post(
        "/api/auth/change-password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert response.status_code == 200
    refused = client.get("/api/auth/profile/")
    assert refused.status_code == 401
    assert "password has changed" in refused.json()["detail"]


def test_an_expired_token_is_401(auth_client):
    created = make_token(auth_client, expires_at=(timezone.now() + timedelta(days=1)).isoformat())
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(created["token"]).get("/api/auth/profile/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_of_a_deactivated_user_is_401(auth_client, user):
    client = bearer(make_token(auth_client)["token"])
    user.is_active = False
    user.save()
    assert client.get("/api/auth/profile/").status_code == 401


@pytest.mark.parametrize("header", ["Bearer cbt_not-a-real-token", "Bearer cbt_ünïcode", "Bearer cbt_"])
def test_an_unknown_or_malformed_token_is_401(api_client, header):
    response = api_client.get("/api/auth/profile/", HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_token_cannot_make_tokens_change_the_password_or_see_tokens(auth_client):
    client = bearer(make_token(auth_client, access="read_write")["token"])
    assert client.post(TOKENS, {"name": "escalate", "access": "read_write"}).status_code == 403
    assert client.get(TOKENS).status_code == 403
    new = "An0ther-long-passphrase"
    response = client.post(
        "/api/auth/change-password/",
        {"old_password": DEFAULT_PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_another_users_token_is_404(auth_client, other_client):
    created = make_token(auth_client)
    assert other_client.get(f"{TOKENS}{created['id']}/").status_code == 404
    assert other_client.delete(f"{TOKENS}{created['id']}/").status_code == 404
    assert other_client.get(TOKENS).json()["count"] == 0
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "access": "admin"}, "access"),
        ({"name": "ok", "expires_at": "yesterday"}, "expires_at"),
        ({"name": "ok", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_bad_token_requests_are_400_and_create_nothing(auth_client, body, field):
    response = auth_client.post(TOKENS, body)
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiToken.objects.exists()


def test_a_maximum_lifetime_makes_an_expiry_required_and_bounded(auth_client, settings):
    settings.API_TOKENS_MAX_DAYS = 30
    assert "expires_at" in auth_client.post(TOKENS, {"name": "forever"}).json()
    too_far = (timezone.now() + timedelta(days=31)).isoformat()
    assert auth_client.post(TOKENS, {"name": "long", "expires_at": too_far}).status_code == 400
    fine = (timezone.now() + timedelta(days=29)).isoformat()
    assert auth_client.post(TOKENS, {"name": "ok", "expires_at": fine}).status_code == 201


def test_a_user_holds_a_bounded_number_of_tokens(auth_client, settings):
    settings.API_TOKENS_MAX_PER_USER = 2
    make_token(auth_client)
    make_token(auth_client)
    response = auth_client.post(TOKENS, {"name": "third"})
    assert response.status_code == 400
    assert "revoke one" in str(response.json())
    assert ApiToken.objects.count() == 2
    # Others are not affected.
    other = APIClient()
    other.force_authenticate(UserFactory())
    make_token(other)


def test_the_schema_documents_api_tokens_beside_jwt(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiTokenAuth"]["scheme"] == "bearer"
    assert schemes["jwtAuth"]["scheme"] == "bearer"
    assert {"apiTokenAuth": []} in schema["paths"]["/api/chatbots/"]["get"]["security"]
    assert {"apiTokenAuth": []} not in schema["paths"]["/api/auth/tokens/"]["post"]["security"]
