import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/token/refresh/"
LOGOUT = "/api/auth/logout/"
CHANGE = "/api/auth/change-password/"
PROFILE = "/api/auth/profile/"


@pytest.fixture
def tokens(api_client):
    user = UserFactory()
    body = api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}).json()
    return user, body


def test_refresh_rotates_and_refuses_the_old_token(api_client, tokens):
    _, body = tokens
    first = api_client.post(REFRESH, {"refresh": body["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != body["refresh"]
    again = api_client.post(REFRESH, {"refresh": body["refresh"]})
    assert again.status_code == 401
    chained = api_client.post(REFRESH, {"refresh": first.json()["refresh"]})
    assert chained.status_code == 200


def test_refresh_with_garbage_or_access_token_is_401(api_client, tokens):
    _, body = tokens
    assert api_client.post(REFRESH, {"refresh": "not-a-token"}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": body["access"]}).status_code == 401


def test_refresh_of_deleted_user_is_401_not_500(api_client, tokens):
    user, body = tokens
    user.delete()
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 401


def test_refresh_of_deactivated_user_is_401(api_client, tokens):
    user, body = tokens
    user.is_active = False
    user.save()
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 401


def test_logout_blacklists_the_refresh_token(api_client, tokens):
    _, body = tokens
    assert api_client.post(LOGOUT, {"refresh": body["refresh"]}).status_code == 204
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 401
    assert api_client.post(LOGOUT, {"refresh": body["refresh"]}).status_code == 401


def test_logout_refuses_bad_bodies(api_client):
    assert api_client.post(LOGOUT, {}).status_code == 400
    assert api_client.post(LOGOUT, {"refresh": "junk"}).status_code == 401


def test_protected_endpoint_needs_a_token(api_client):
    response = api_client.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_change_password_revokes_older_tokens_and_returns_a_fresh_pair(api_client, tokens):
    user, body = tokens
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    new = "An0ther-long-passphrase"
    response = api_client.post(
        CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": new, "new_password_confirm": new}
    )
    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    # Older tokens: refresh refused, access refused.
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(PROFILE).status_code == 401
    # The fresh pair and the new password work; the old password does not.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api_client.get(PROFILE).status_code == 200
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh": fresh["refresh"]}).status_code == 200
    assert api_client.post(LOGIN, {"username": user.username, "password": new}).status_code == 200
    assert api_client.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"old_password": "wrong", "new_password": "An0ther-long-pass", "new_password_confirm": "An0ther-long-pass"},
            "old_password",
        ),
        (
            {
                "old_password": DEFAULT_PASSWORD,
                "new_password": "An0ther-long-pass",
                "new_password_confirm": "different",
            },
            "new_password_confirm",
        ),
        ({"old_password": DEFAULT_PASSWORD, "new_password": "123", "new_password_confirm": "123"}, "new_password"),
        ({"new_password": "An0ther-long-pass", "new_password_confirm": "An0ther-long-pass"}, "old_password"),
    ],
)
def test_change_password_refusals_change_nothing(api_client, tokens, body, field):
    user, pair = tokens
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    response = api_client.post(CHANGE, body)
    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert api_client.get(PROFILE).status_code == 200
