"""An OAuth2 / OpenID Connect provider for the tests, served over real HTTP on 127.0.0.1.

The protocol is Authlib's server side: its AuthorizationServer with the authorization-code
grant, PKCE (S256, required) and OpenID Connect ID tokens signed RS256 with an RSA key
generated for the test run. Discovery, JWKS, userinfo and GitHub's /user and /user/emails
are small handlers around it. Two shapes:

- kind="oidc": /.well-known/openid-configuration, /authorize, /token, /userinfo, /jwks
  (stands in for Google and any OpenID Connect provider);
- kind="github": /login/oauth/authorize, /login/oauth/access_token, /api/user,
  /api/user/emails (OAuth2 without OpenID Connect, like GitHub).

Attributes below `# Misbehaviour` make it fail the ways the refusal tests need.
"""

import functools
import json
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer, OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import RSAKey
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "chatbot-builder"
CLIENT_SECRET = "provider-side-s3cret"
KEY_ID = "test-signing-key"


@functools.cache
def signing_keys() -> tuple[RSAKey, RSAKey]:
    """The key the provider publishes, and an impostor's key carrying the same key id."""
    return tuple(RSAKey.generate_key(2048, parameters={"kid": KEY_ID}, private=True) for _ in range(2))


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Client(ClientMixin):
    def __init__(self, redirect_uris: list[str]) -> None:
        self.client_id = CLIENT_ID
        self.redirect_uris = redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, CLIENT_SECRET)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in self.auth_methods

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class WerkzeugPayload(OAuth2Payload):
    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def data(self):
        return self._request.values

    @cached_property
    def datalist(self):
        values = defaultdict(list)
        for key in self.data:
            values[key].extend(self.data.getlist(key))
        return values


class WerkzeugOAuth2Request(OAuth2Request):
    def __init__(self, request: Request) -> None:
        super().__init__(method=request.method, uri=request.url, headers=request.headers)
        self._request = request
        self.payload = WerkzeugPayload(request)

    @property
    def args(self):
        return self._request.args

    @property
    def form(self):
        return self._request.form


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.server.idp.codes[code] = AuthorizationCode(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.payload.scope or "",
            user=request.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        found = self.server.idp.codes.get(code)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code):
        self.server.idp.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class IdToken(OpenIDCode):
    def __init__(self, idp: "IdentityProvider") -> None:
        super().__init__(require_nonce=True)
        self.idp = idp

    def exists_nonce(self, nonce, request):
        return False

    def resolve_client_private_key(self, client):
        published, impostor = signing_keys()
        return impostor if self.idp.sign_with_wrong_key else published

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client):
        return {
            "iss": self.idp.id_token_issuer or self.idp.issuer,
            "aud": [self.idp.id_token_audience or client.get_client_id()],
            "exp": int(time.time()) + self.idp.id_token_lifetime,
        }

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if self.idp.id_token_nonce is not None:
            claims["nonce"] = self.idp.id_token_nonce
        return claims

    def generate_user_info(self, user, scope):
        # Like many providers, the ID token names the subject; the rest comes from userinfo.
        return UserInfo(sub=user["sub"])


class Server(AuthorizationServer):
    def __init__(self, idp: "IdentityProvider") -> None:
        super().__init__()
        self.idp = idp
        self.register_token_generator("default", BearerTokenGenerator(lambda **kwargs: generate_token(42)))
        self.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(idp)])

    def query_client(self, client_id):
        return self.idp.client if client_id == self.idp.client.client_id else None

    def save_token(self, token, request):
        self.idp.access_tokens[token["access_token"]] = request.user

    def create_oauth2_request(self, request):
        return WerkzeugOAuth2Request(request)

    def handle_response(self, status, body, headers):
        return Response(json.dumps(body) if isinstance(body, dict) else body, status=status, headers=headers)

    def send_signal(self, name, *args, **kwargs):
        pass


class IdentityProvider:
    """Starts serving at construction; `stop()` when done, `reset()` between tests. `account`
    is who is signed in at the provider; the provider approves every authorization request."""

    def __init__(self, kind: str, callback_urls: list[str]) -> None:
        self.kind = kind
        self.client = Client(callback_urls)
        self.reset()
        self.server = Server(self)
        self.http = HTTPServer(host="127.0.0.1", port=0)
        self.http.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        self.http.start()
        self.issuer = self.http.url_for("").rstrip("/")

    def reset(self) -> None:
        """Back to a well-behaved provider with Ada signed in, forgetting codes and tokens."""
        self.client.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.account = {
            "sub": "1001",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
            "given_name": "Ada",
            "family_name": "Lovelace",
            "preferred_username": "ada",
        }
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        # Misbehaviour
        self.deny = False
        self.token_error: tuple[int, dict] | None = None
        self.id_token_issuer: str | None = None
        self.id_token_audience: str | None = None
        self.id_token_nonce: str | None = None
        self.id_token_lifetime = 3600
        self.sign_with_wrong_key = False
        self.userinfo_sub: str | None = None
        self.discovery_issuer: str | None = None

    def stop(self) -> None:
        self.http.clear()
        self.http.stop()

    def check(self) -> None:
        """Fail the test if a handler crashed (an error in the provider, not in the app)."""
        try:
            self.http.check_handler_errors()
        finally:
            self.http.clear_handler_errors()

    @property
    def settings(self) -> dict:
        """What config/settings.py builds for this provider from the environment."""
        if self.kind == "github":
            return {
                "type": "github",
                "name": "GitHub",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "base_url": self.issuer,
                "api_url": f"{self.issuer}/api",
                "scopes": "read:user user:email",
            }
        return {
            "type": "oidc",
            "name": "Test OIDC",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "issuer": self.issuer,
            "scopes": "openid email profile",
        }

    def _dispatch(self, request: Request) -> Response:
        self.requests.append((request.method, request.path))
        routes = {
            "oidc": {
                "/.well-known/openid-configuration": self._discovery,
                "/authorize": self._authorize,
                "/token": self._token,
                "/userinfo": self._userinfo,
                "/jwks": self._jwks,
            },
            "github": {
                "/login/oauth/authorize": self._authorize,
                "/login/oauth/access_token": self._token,
                "/api/user": self._github_user,
                "/api/user/emails": self._github_emails,
            },
        }[self.kind]
        handler = routes.get(request.path)
        return handler(request) if handler else _json({"error": "not_found"}, 404)

    def _discovery(self, request: Request) -> Response:
        return _json(
            {
                "issuer": self.discovery_issuer or self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": self.client.auth_methods,
                "scopes_supported": ["openid", "email", "profile"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        published, _ = signing_keys()
        return _json({"keys": [published.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        try:
            grant = self.server.get_consent_grant(request=request, end_user=self.account)
        except OAuth2Error as error:
            return _json(dict(error.get_body()), 400)
        return self.server.create_authorization_response(
            request=request, grant_user=None if self.deny else dict(self.account), grant=grant
        )

    def _token(self, request: Request) -> Response:
        if self.token_error is not None:
            status, body = self.token_error
            return _json(body, status)
        return self.server.create_token_response(request)

    def _bearer_user(self, request: Request) -> dict | None:
        header = request.headers.get("Authorization", "")
        return self.access_tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None

    def _userinfo(self, request: Request) -> Response:
        user = self._bearer_user(request)
        if user is None:
            return _json({"error": "invalid_token"}, 401)
        return _json({**user, "sub": self.userinfo_sub or user["sub"]})

    def _github_user(self, request: Request) -> Response:
        user = self._bearer_user(request)
        if user is None:
            return _json({"message": "Bad credentials"}, 401)
        return _json({"id": int(user["sub"]), "login": user["preferred_username"], "name": user["name"]})

    def _github_emails(self, request: Request) -> Response:
        user = self._bearer_user(request)
        if user is None:
            return _json({"message": "Bad credentials"}, 401)
        emails = user.get("github_emails") or [
            {"email": user["email"], "primary": True, "verified": user["email_verified"], "visibility": "private"}
        ]
        return _json(emails)


def _json(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
