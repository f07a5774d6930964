from django.contrib.auth import get_user_model

import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
GOOD = {"username": "ana", "email": "Ana@Example.com", "password": "a-Long-passphrase-42", "password_confirm": ""}
GOOD["password_confirm"] = GOOD["password"]


def test_register_creates_user_profile_and_returns_token_pair(api_client):
    response = api_client.post(REGISTER, GOOD)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["username"] == "ana"
    assert body["user"]["email"] == "Ana@example.com"  # domain normalised
    assert "password" not in response.content.decode().lower().replace("password_confirm", "")
    user = get_user_model().objects.get(username="ana")
    assert user.profile.timezone == "UTC"
    me = api_client.get("/api/auth/profile/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200


def test_register_never_echoes_the_password(api_client):
    response = api_client.post(REGISTER, GOOD)
    assert GOOD["password"] not in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password_confirm": "something-else-42"}, "password_confirm"),
        ({"password": "12345678", "password_confirm": "12345678"}, "password"),
        ({"password": "short", "password_confirm": "short"}, "password"),
        ({"password": "password123", "password_confirm": "password123"}, "password"),
        ({"username": "anabanana7", "password": "anabanana7!", "password_confirm": "anabanana7!"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "bad name!"}, "username"),
        ({"username": "has@sign"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
    ],
)
def test_register_refuses_bad_input(api_client, change, field):
    response = api_client.post(REGISTER, {**GOOD, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("missing", ["username", "email", "password", "password_confirm"])
def test_register_requires_every_field(api_client, missing):
    body = {k: v for k, v in GOOD.items() if k != missing}
    response = api_client.post(REGISTER, body)
    assert response.status_code == 400
    assert missing in response.json()


def test_register_refuses_taken_email_in_any_case(api_client):
    UserFactory(email="ana@example.com")
    response = api_client.post(REGISTER, {**GOOD, "email": "ANA@EXAMPLE.COM"})
    assert response.status_code == 400
    assert "email" in response.json()


def test_register_refuses_taken_username_in_any_case(api_client):
    UserFactory(username="Ana")
    response = api_client.post(REGISTER, GOOD)
    assert response.status_code == 400
    assert "username" in response.json()


def test_login_with_username_returns_tokens_and_user(api_client):
    user = UserFactory()
    response = api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == user.id


def test_login_with_email_in_any_case(api_client):
    user = UserFactory(email="Mixed@Example.com")
    response = api_client.post(LOGIN, {"username": "mixed@EXAMPLE.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "nobody", "password": DEFAULT_PASSWORD},
        {"username": "__USER__", "password": "wrong-password"},
        {"username": "nobody@example.com", "password": DEFAULT_PASSWORD},
    ],
)
def test_login_with_wrong_credentials_is_401(api_client, credentials):
    user = UserFactory()
    credentials = {k: v.replace("__USER__", user.username) for k, v in credentials.items()}
    response = api_client.post(LOGIN, credentials)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_login_of_inactive_user_is_401(api_client):
    user = UserFactory(is_active=False)
    response = api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_login_without_fields_is_400(api_client):
    assert api_client.post(LOGIN, {}).status_code == 400
