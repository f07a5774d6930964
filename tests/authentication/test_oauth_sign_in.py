"""Sign-in through GitHub, Google and a generic OpenID Connect provider, against a provider
running in this process over real HTTP (tests/authentication/identity_provider.py).

The browser is played by the test: it follows the authorization URL to the provider, takes
the provider's redirect to our callback, and the callback's redirect to the builder page.
The `network` fixture fails any test that connects outside loopback.
"""

import base64
import hashlib
import socket
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model

import pytest
import requests
from rest_framework.test import APIClient

from authentication.models import OAuthExchangeCode, OAuthIdentity, OAuthSignIn
from tests.authentication.identity_provider import CLIENT_ID, IdentityProvider
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()

BUILDER = "https://builder.example.com/auth/callback"
CALLBACK = "http://testserver/api/auth/oauth/{}/callback/"
EXCHANGE = "/api/auth/oauth/exchange/"
ACCOUNTS = "/api/auth/oauth/accounts/"
# The three kinds of provider: GitHub (OAuth2 + REST API), Google and a generic OIDC provider.
KINDS = {"github": "github", "google": "oidc", "corp": "oidc"}
NAMES = {"github": "GitHub", "google": "Google", "corp": "Corp SSO"}


@pytest.fixture(scope="module")
def running_providers():
    """One provider of each kind for the module (stopping one takes half a second)."""
    started = {slug: IdentityProvider(kind, [CALLBACK.format(name) for name in KINDS]) for slug, kind in KINDS.items()}
    yield started
    for idp in started.values():
        idp.stop()


@pytest.fixture
def start_provider(running_providers, settings, monkeypatch, dns, network):
    # The provider serves plain http on loopback; Authlib's server side wants to be told.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    settings.OAUTH_PROVIDERS = {}
    settings.OAUTH_REDIRECT_URIS = [BUILDER, "http://localhost:5173/auth/callback"]
    settings.OAUTH_CALLBACK_BASE_URL = ""
    started = []

    def start(slug: str) -> IdentityProvider:
        idp = running_providers[slug]
        idp.reset()
        started.append(idp)
        settings.OAUTH_PROVIDERS = {**settings.OAUTH_PROVIDERS, slug: {**idp.settings, "name": NAMES[slug]}}
        return idp

    yield start
    for idp in started:
        idp.check()


@pytest.fixture(params=list(KINDS))
def provider(request, start_provider):
    """Each provider type in turn: (slug, the running provider)."""
    return request.param, start_provider(request.param)


@pytest.fixture
def google(start_provider):
    return start_provider("google")


@pytest.fixture
def github(start_provider):
    return start_provider("github")


def challenge_for(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def start(client: APIClient, slug: str, **body) -> str:
    response = client.post(f"/api/auth/oauth/{slug}/start/", {"redirect_uri": BUILDER, **body})
    assert response.status_code == 200, response.content
    return response.json()["authorization_url"]


def at_provider(authorization_url: str) -> str:
    """The browser at the provider: where it is sent back to (our callback, with code and state)."""
    response = requests.get(authorization_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def back_at_callback(client: APIClient, location: str):
    parts = urlsplit(location)
    return client.get(parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()})


def one_time_code(response) -> str:
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(BUILDER + "?")
    return parse_qs(urlsplit(location).query)["code"][0]


def sign_in(client: APIClient, slug: str, **start_body) -> str:
    """Start, go through the provider and the callback: the one-time code the builder gets."""
    return one_time_code(back_at_callback(client, at_provider(start(client, slug, **start_body))))


def exchange(client: APIClient, code: str, **body):
    return client.post(EXCHANGE, {"code": code, **body})


def refused(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body["detail"]


# --- Providers and the happy path, for each provider type ----------------------------------


def test_the_login_page_lists_the_enabled_providers_without_secrets(api_client, start_provider):
    start_provider("github")
    start_provider("corp")
    response = api_client.get("/api/auth/oauth/providers/", HTTP_AUTHORIZATION="Bearer stale-token")
    assert response.status_code == 200
    assert response.json() == [
        {"id": "github", "name": "GitHub", "protocol": "oauth2"},
        {"id": "corp", "name": "Corp SSO", "protocol": "oidc"},
    ]


def test_no_provider_configured_lists_none_and_starts_none(api_client, settings):
    settings.OAUTH_PROVIDERS = {}
    assert api_client.get("/api/auth/oauth/providers/").json() == []
    response = api_client.post("/api/auth/oauth/google/start/", {"redirect_uri": BUILDER})
    assert response.status_code == 404


def test_first_sign_in_creates_an_account_and_returns_the_usual_jwt_pair(api_client, provider):
    slug, _ = provider
    response = exchange(api_client, sign_in(api_client, slug))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user", "new_account"}
    assert body["new_account"] is True
    user = User.objects.get(pk=body["user"]["id"])
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "ada",
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert not user.has_usable_password()
    identity = OAuthIdentity.objects.get(user=user)
    assert (identity.provider, identity.subject, identity.email_verified) == (slug, "1001", True)

    signed_in = APIClient()
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert signed_in.get("/api/auth/profile/").json()["user"]["username"] == "ada"

    again = exchange(api_client, sign_in(api_client, slug)).json()
    assert again["user"]["id"] == user.pk
    assert again["new_account"] is False
    assert User.objects.count() == 1


def test_the_authorization_url_carries_state_pkce_and_for_oidc_a_nonce(api_client, provider):
    slug, idp = provider
    url = start(api_client, slug)
    assert url.startswith(idp.issuer)
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK.format(slug)
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43
    assert ("nonce" in query) is (KINDS[slug] == "oidc")
    # Nothing secret is kept in clear: the state is stored hashed.
    assert not OAuthSignIn.objects.filter(secret_hash=query["state"]).exists()


def test_the_callback_url_follows_the_configured_public_origin(api_client, google, settings):
    settings.OAUTH_CALLBACK_BASE_URL = "https://api.example.com/"
    query = parse_qs(urlsplit(start(api_client, "google")).query)
    assert query["redirect_uri"] == ["https://api.example.com/api/auth/oauth/google/callback/"]


def test_the_callback_redirect_keeps_the_code_out_of_caches_and_referrers(api_client, google):
    response = back_at_callback(api_client, at_provider(start(api_client, "google")))
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    # Only the one-time code travels in the URL, never a token.
    assert set(parse_qs(urlsplit(response["Location"]).query)) == {"code"}


def test_a_builder_page_with_pkce_exchanges_with_its_verifier(api_client, provider):
    slug, _ = provider
    verifier = "v" * 20 + "-builder-side-secret-verifier-0123456789"
    code = sign_in(api_client, slug, code_challenge=challenge_for(verifier))
    response = exchange(api_client, code, code_verifier=verifier)
    assert response.status_code == 200, response.content


def test_a_provider_that_takes_the_client_secret_only_in_the_body_works(api_client, start_provider):
    idp = start_provider("corp")
    idp.client.auth_methods = ["client_secret_post"]
    assert exchange(api_client, sign_in(api_client, "corp")).status_code == 200


# --- Linking rules ---------------------------------------------------------------------------


def test_a_verified_email_signs_in_to_the_existing_account(api_client, provider):
    slug, _ = provider
    owner = UserFactory(email="Ada@Example.com")
    body = exchange(api_client, sign_in(api_client, slug)).json()
    assert body["user"]["id"] == owner.pk
    assert body["new_account"] is False
    assert OAuthIdentity.objects.get(provider=slug).user == owner
    # The password still works too.
    login = api_client.post("/api/auth/login/", {"username": owner.username, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200


def test_an_unverified_email_that_is_taken_is_refused_with_a_clear_message(api_client, provider):
    slug, idp = provider
    UserFactory(email="ada@example.com")
    idp.account["email_verified"] = False
    detail = refused(exchange(api_client, sign_in(api_client, slug)), 409, "email_taken")
    assert "link" in detail
    assert not OAuthIdentity.objects.exists()
    assert User.objects.count() == 1


def test_an_unverified_email_that_is_free_gets_a_new_account(api_client, google):
    google.account["email_verified"] = False
    body = exchange(api_client, sign_in(api_client, "google")).json()
    assert body["new_account"] is True
    assert OAuthIdentity.objects.get().email_verified is False


def test_github_takes_the_verified_address_from_user_emails(api_client, github):
    owner = UserFactory(email="work@example.com")
    github.account["github_emails"] = [
        {"email": "ada@example.com", "primary": True, "verified": False, "visibility": "private"},
        {"email": "work@example.com", "primary": False, "verified": True, "visibility": None},
    ]
    body = exchange(api_client, sign_in(api_client, "github")).json()
    assert body["user"]["id"] == owner.pk
    identity = OAuthIdentity.objects.get()
    assert (identity.email, identity.email_verified, identity.display_name) == ("work@example.com", True, "ada")


def test_a_provider_that_shares_no_email_is_refused(api_client, google):
    google.account.pop("email")
    refused(exchange(api_client, sign_in(api_client, "google")), 400, "email_missing")
    assert not User.objects.exists()


def test_a_taken_username_gets_a_suffix(api_client, google):
    UserFactory(username="Ada", email="someone@example.com")
    body = exchange(api_client, sign_in(api_client, "google")).json()
    assert body["user"]["username"].startswith("ada-")


def test_a_deactivated_account_cannot_sign_in(api_client, google):
    owner = UserFactory(email="ada@example.com")
    exchange(api_client, sign_in(api_client, "google"))
    owner.is_active = False
    owner.save()
    refused(exchange(api_client, sign_in(api_client, "google")), 403, "account_disabled")


def test_a_signed_in_user_links_a_provider_whatever_its_email(start_provider, user):
    start_provider("github")
    client = APIClient()
    client.force_authenticate(user)
    body = exchange(client, sign_in(client, "github", link=True)).json()
    assert body["user"]["id"] == user.pk
    assert OAuthIdentity.objects.get().user == user
    # From now on the GitHub account signs in to it, from anywhere.
    assert exchange(APIClient(), sign_in(APIClient(), "github")).json()["user"]["id"] == user.pk


def test_linking_needs_a_signed_in_user(api_client, github):
    response = api_client.post("/api/auth/oauth/github/start/", {"redirect_uri": BUILDER, "link": True})
    assert response.status_code == 401


def test_an_identity_linked_to_someone_else_cannot_be_linked_again(start_provider, user):
    start_provider("github")
    exchange(APIClient(), sign_in(APIClient(), "github"))  # creates "ada" with this GitHub account
    client = APIClient()
    client.force_authenticate(user)
    refused(exchange(client, sign_in(client, "github", link=True)), 409, "identity_taken")
    assert OAuthIdentity.objects.get().user.username == "ada"


def test_a_second_account_of_the_same_provider_is_refused(start_provider, user):
    idp = start_provider("google")
    client = APIClient()
    client.force_authenticate(user)
    exchange(client, sign_in(client, "google", link=True))
    idp.account = {**idp.account, "sub": "2002", "email": "other@example.com"}
    refused(exchange(client, sign_in(client, "google", link=True)), 409, "provider_already_linked")


# --- Listing and unlinking -------------------------------------------------------------------


def signed_in_with(slug: str) -> tuple[APIClient, dict]:
    client = APIClient()
    body = exchange(client, sign_in(client, slug)).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    return client, body


def test_a_user_lists_their_own_identities(start_provider, other_client):
    start_provider("google")
    client, _ = signed_in_with("google")
    response = client.get(ACCOUNTS)
    assert response.status_code == 200
    [identity] = response.json()
    assert identity["provider"] == "google"
    assert identity["provider_name"] == "Google"
    assert identity["email"] == "ada@example.com"
    assert identity["can_unlink"] is False
    assert other_client.get(ACCOUNTS).json() == []
    assert other_client.delete(f"{ACCOUNTS}{identity['id']}/").status_code == 404


def test_the_last_way_to_sign_in_cannot_be_unlinked(start_provider):
    start_provider("google")
    client, _ = signed_in_with("google")
    identity = OAuthIdentity.objects.get()
    response = client.delete(f"{ACCOUNTS}{identity.pk}/")
    assert response.status_code == 409
    assert "only way to sign in" in response.json()["detail"]
    assert OAuthIdentity.objects.exists()


def test_after_setting_a_password_the_identity_can_be_unlinked(start_provider):
    start_provider("google")
    client, _ = signed_in_with("google")
    new = "An0ther-long-passphrase"
    response = client.post("/api/auth/change-password/", {"new_password": new, "new_password_confirm": new})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    identity = OAuthIdentity.objects.get()
    assert client.get(ACCOUNTS).json()[0]["can_unlink"] is True
    assert client.delete(f"{ACCOUNTS}{identity.pk}/").status_code == 204
    assert not OAuthIdentity.objects.exists()


def test_a_password_account_still_needs_its_old_password_to_change_it(auth_client):
    new = "An0ther-long-passphrase"
    response = auth_client.post("/api/auth/change-password/", {"new_password": new, "new_password_confirm": new})
    assert response.status_code == 400
    assert "old_password" in response.json()


def test_with_two_providers_one_can_be_unlinked(start_provider):
    start_provider("google")
    start_provider("corp")
    client, _ = signed_in_with("google")
    exchange(client, sign_in(client, "corp", link=True))
    google_identity = OAuthIdentity.objects.get(provider="google")
    assert client.delete(f"{ACCOUNTS}{google_identity.pk}/").status_code == 204
    corp_identity = OAuthIdentity.objects.get(provider="corp")
    assert client.delete(f"{ACCOUNTS}{corp_identity.pk}/").status_code == 409


# --- Refused: state ---------------------------------------------------------------------------


def test_a_callback_with_an_unknown_state_is_400(api_client, google):
    location = at_provider(start(api_client, "google"))
    forged = location.replace("state=", "state=x")
    refused(back_at_callback(api_client, forged), 400, "invalid_state")
    assert not OAuthExchangeCode.objects.exists()


def test_a_callback_without_state_is_400(api_client, google):
    response = api_client.get("/api/auth/oauth/google/callback/", {"code": "anything"})
    refused(response, 400, "invalid_state")


def test_a_replayed_state_is_400(api_client, google):
    location = at_provider(start(api_client, "google"))
    assert back_at_callback(api_client, location).status_code == 302
    refused(back_at_callback(api_client, location), 400, "state_used")
    assert OAuthExchangeCode.objects.count() == 1


def test_a_state_used_at_another_providers_callback_is_400(api_client, start_provider):
    start_provider("google")
    start_provider("corp")
    location = at_provider(start(api_client, "google"))
    refused(back_at_callback(api_client, location.replace("/google/", "/corp/")), 400, "invalid_state")


def test_a_state_that_expired_at_the_provider_is_400(api_client, google, settings):
    settings.OAUTH_STATE_SECONDS = 0
    refused(back_at_callback(api_client, at_provider(start(api_client, "google"))), 400, "state_expired")


# --- Refused: PKCE ----------------------------------------------------------------------------


def test_an_exchange_without_the_code_verifier_is_400(api_client, google):
    code = sign_in(api_client, "google", code_challenge=challenge_for("a" * 43))
    refused(exchange(api_client, code), 400, "verifier_missing")
    # The code is not spent by the mistake: with the verifier it still works.
    assert exchange(api_client, code, code_verifier="a" * 43).status_code == 200


def test_an_exchange_with_a_wrong_code_verifier_is_400(api_client, google):
    code = sign_in(api_client, "google", code_challenge=challenge_for("a" * 43))
    refused(exchange(api_client, code, code_verifier="b" * 43), 400, "verifier_mismatch")


def test_an_exchange_with_a_verifier_the_sign_in_never_announced_is_400(api_client, google):
    refused(exchange(api_client, sign_in(api_client, "google"), code_verifier="a" * 43), 400, "verifier_unexpected")


def test_an_authorization_code_injected_into_another_sign_in_fails_the_providers_pkce_check(api_client, provider):
    """An attacker's code pasted into a victim's callback: the provider checks the code
    against the PKCE verifier of the sign-in it arrives with, and refuses."""
    slug, _ = provider
    attacker = parse_qs(urlsplit(at_provider(start(api_client, slug))).query)
    victim = urlsplit(at_provider(start(api_client, slug)))
    victim_state = parse_qs(victim.query)["state"][0]
    response = api_client.get(victim.path, {"code": attacker["code"][0], "state": victim_state})
    detail = refused(exchange(api_client, one_time_code(response)), 400, "provider_error")
    assert "invalid_grant" in detail
    assert not OAuthIdentity.objects.exists()


# --- Refused: the one-time code ---------------------------------------------------------------


def test_a_replayed_one_time_code_is_400(api_client, google):
    code = sign_in(api_client, "google")
    assert exchange(api_client, code).status_code == 200
    refused(exchange(api_client, code), 400, "code_used")


def test_an_expired_one_time_code_is_400(api_client, google, settings):
    settings.OAUTH_EXCHANGE_CODE_SECONDS = 0
    refused(exchange(api_client, sign_in(api_client, "google")), 400, "code_expired")


def test_an_unknown_one_time_code_is_400(api_client):
    refused(exchange(api_client, "made-up"), 400, "invalid_code")
    assert api_client.post(EXCHANGE, {}).status_code == 400


# --- Refused: the redirect URI -----------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.net/auth/callback",
        BUILDER + "/../../steal",
        BUILDER + "?next=https://evil.example.net",
        "https://builder.example.com.evil.example.net/auth/callback",
        BUILDER.upper(),
        "",
    ],
)
def test_a_redirect_uri_not_on_the_list_is_400(api_client, google, redirect_uri):
    response = api_client.post("/api/auth/oauth/google/start/", {"redirect_uri": redirect_uri})
    assert response.status_code == 400
    assert "redirect_uri" in response.json()
    assert not OAuthSignIn.objects.exists()


# --- Refused: the ID token ----------------------------------------------------------------------


def test_an_id_token_from_another_issuer_is_refused(api_client, google):
    google.id_token_issuer = "https://impostor.example.com"
    detail = refused(exchange(api_client, sign_in(api_client, "google")), 400, "invalid_id_token")
    assert "issuer" in detail
    assert not User.objects.exists()


def test_an_id_token_for_another_audience_is_refused(api_client, google):
    google.id_token_audience = "some-other-app"
    detail = refused(exchange(api_client, sign_in(api_client, "google")), 400, "invalid_id_token")
    assert "audience" in detail


def test_an_id_token_with_a_wrong_signature_is_refused(api_client, google):
    google.sign_with_wrong_key = True
    detail = refused(exchange(api_client, sign_in(api_client, "google")), 400, "invalid_id_token")
    assert "signature" in detail


def test_an_id_token_with_another_sign_ins_nonce_is_refused(api_client, google):
    google.id_token_nonce = "nonce-of-another-sign-in"
    detail = refused(exchange(api_client, sign_in(api_client, "google")), 400, "invalid_id_token")
    assert "nonce" in detail


def test_an_expired_id_token_is_refused(api_client, google):
    google.id_token_lifetime = -600
    refused(exchange(api_client, sign_in(api_client, "google")), 400, "invalid_id_token")


def test_userinfo_about_someone_else_is_refused(api_client, google):
    google.userinfo_sub = "9999"
    refused(exchange(api_client, sign_in(api_client, "google")), 400, "provider_error")


def test_a_discovery_document_naming_another_issuer_is_refused(api_client, google):
    google.discovery_issuer = "https://impostor.example.com"
    response = api_client.post("/api/auth/oauth/google/start/", {"redirect_uri": BUILDER})
    refused(response, 400, "provider_misconfigured")


# --- Refused: the provider answers an error ---------------------------------------------------


def test_a_provider_that_denies_the_authorization_is_refused(api_client, provider):
    slug, idp = provider
    idp.deny = True
    detail = refused(exchange(api_client, sign_in(api_client, slug)), 400, "provider_error")
    assert "access_denied" in detail


@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (400, {"error": "invalid_grant", "error_description": "Code expired"}, "invalid_grant"),
        (200, {"error": "bad_verification_code"}, "bad_verification_code"),  # GitHub's way
        (503, {"message": "down for maintenance"}, "HTTP 503"),
    ],
)
def test_a_provider_whose_token_endpoint_answers_an_error_is_refused(api_client, provider, status, body, shown):
    slug, idp = provider
    idp.token_error = (status, body)
    detail = refused(exchange(api_client, sign_in(api_client, slug)), 400, "provider_error")
    assert shown in detail
    assert not User.objects.exists()


def test_an_unreachable_provider_is_502(api_client, google, settings):
    location = at_provider(start(api_client, "google"))
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.OAUTH_PROVIDERS = {"google": {**settings.OAUTH_PROVIDERS["google"], "issuer": closed}}
    response = exchange(api_client, one_time_code(back_at_callback(api_client, location)))
    refused(response, 502, "provider_unavailable")
