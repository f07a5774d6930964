"""The identity providers people sign in with, configured in `settings.OAUTH_PROVIDERS`.

The protocol is Authlib's: its OAuth2Session builds the authorization URL (state, PKCE S256,
nonce) and redeems the code; joserfc (Authlib's JOSE library) checks the ID token's signature
against the provider's JWKS, and Authlib's CodeIDToken its issuer, audience, expiry, nonce and
access-token hash. GitHub speaks OAuth2 without OpenID Connect: its account comes from its
REST API, the email from /user/emails with GitHub's `verified` flag.

Every failure is a SignInRefused (the provider refused or said something we cannot trust) or
a ProviderUnavailable (it could not be reached), with a message a person can act on.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from authentication.exceptions import ProviderUnavailable, SignInRefused

METADATA_CACHE_SECONDS = 3600
CONNECT_TIMEOUT_SECONDS = 5
# Clock difference with the provider tolerated on the ID token's times.
CLOCK_LEEWAY_SECONDS = 120
# Only public-key signatures: an HMAC "signed" ID token would be checked against the client
# secret, and "none" is no signature at all.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# Google documents both spellings of its issuer in ID tokens.
ISSUER_ALIASES = {"https://accounts.google.com": ["accounts.google.com"]}
MAX_PROVIDER_MESSAGE = 200
# OpenID Connect caps `sub` at 255 ASCII characters.
MAX_SUBJECT_LENGTH = 255


@dataclass(frozen=True)
class ProviderAccount:
    """What a provider says about the person signing in."""

    subject: str
    email: str
    email_verified: bool
    username: str
    first_name: str
    last_name: str
    display_name: str


def _text(value, limit: int = 150) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


class Provider:
    kind = ""
    token_endpoint_auth_method = "client_secret_basic"  # noqa: S105  (a method's name)

    def __init__(self, slug: str, config: dict) -> None:
        self.slug = slug
        self.name = config["name"]
        self.client_id = config["client_id"]
        self.client_secret = config["client_secret"]
        self.scopes = config.get("scopes", "")

    def authorization_url(self, *, callback_url: str, state: str, code_verifier: str, nonce: str) -> str:
        raise NotImplementedError

    def account_from_code(self, *, code: str, callback_url: str, code_verifier: str, nonce: str) -> ProviderAccount:
        raise NotImplementedError

    # --- HTTP with the provider -------------------------------------------------------------

    def _session(self, callback_url: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scopes,
            redirect_uri=callback_url,
            code_challenge_method="S256",
            token_endpoint_auth_method=self.token_endpoint_auth_method,
            default_timeout=(CONNECT_TIMEOUT_SECONDS, settings.OAUTH_HTTP_TIMEOUT),
        )

    def _call(self, what: str, send: Callable):
        try:
            return send()
        except OAuthError as exc:
            description = f" ({_text(exc.description, MAX_PROVIDER_MESSAGE)})" if exc.description else ""
            raise SignInRefused(
                f"{self.name} refused the sign-in: {_text(exc.error, 60)}{description}.", code="provider_error"
            ) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ProviderUnavailable(
                f"{self.name} could not be reached ({what}); try again later.", code="provider_unavailable"
            ) from exc
        except requests.HTTPError as exc:
            status = getattr(exc.response, "status_code", "an error")
            raise SignInRefused(
                f"{self.name} answered HTTP {status} to the {what} request.", code="provider_error"
            ) from exc
        except (requests.RequestException, ValueError) as exc:
            raise SignInRefused(
                f"{self.name} gave an unreadable answer to the {what} request.", code="provider_error"
            ) from exc

    def _get_json(self, session: OAuth2Session, url: str, what: str, **kwargs):
        response = self._call(what, lambda: session.get(url, **kwargs))
        if response.status_code >= 400:
            raise SignInRefused(
                f"{self.name} answered HTTP {response.status_code} to the {what} request.", code="provider_error"
            )
        return self._call(what, response.json)

    def _fetch_token(self, session: OAuth2Session, url: str, *, code: str, code_verifier: str) -> dict:
        token = self._call("token", lambda: session.fetch_token(url, code=code, code_verifier=code_verifier))
        if not isinstance(token.get("access_token"), str):
            raise SignInRefused(f"{self.name} sent no access token.", code="provider_error")
        return token


class GitHubProvider(Provider):
    kind = "oauth2"
    # GitHub documents the client credentials as form fields of the token request.
    token_endpoint_auth_method = "client_secret_post"  # noqa: S105
    api_headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

    def __init__(self, slug: str, config: dict) -> None:
        super().__init__(slug, config)
        self.base_url = config["base_url"].rstrip("/")
        self.api_url = config["api_url"].rstrip("/")

    def authorization_url(self, *, callback_url: str, state: str, code_verifier: str, nonce: str) -> str:
        url, _ = self._session(callback_url).create_authorization_url(
            f"{self.base_url}/login/oauth/authorize", state=state, code_verifier=code_verifier
        )
        return url

    def account_from_code(self, *, code: str, callback_url: str, code_verifier: str, nonce: str) -> ProviderAccount:
        with self._session(callback_url) as session:
            token_url = f"{self.base_url}/login/oauth/access_token"
            self._fetch_token(session, token_url, code=code, code_verifier=code_verifier)
            user = self._get_json(session, f"{self.api_url}/user", "user", headers=self.api_headers)
            if not isinstance(user, dict) or not isinstance(user.get("id"), int):
                raise SignInRefused("GitHub's user answer has no account id.", code="provider_error")
            emails = self._get_json(session, f"{self.api_url}/user/emails", "email", headers=self.api_headers)
        email, verified = self._pick_email(emails if isinstance(emails, list) else [])
        login = _text(user.get("login"))
        first_name, _, last_name = _text(user.get("name")).partition(" ")
        return ProviderAccount(
            subject=str(user["id"]),
            email=email,
            email_verified=verified,
            username=login,
            first_name=first_name,
            last_name=last_name.strip(),
            display_name=login,
        )

    @staticmethod
    def _pick_email(emails: list) -> tuple[str, bool]:
        """The primary address if GitHub verified it, else any verified one, else the primary."""
        entries = [e for e in emails if isinstance(e, dict) and isinstance(e.get("email"), str) and e["email"]]
        ranked = sorted(entries, key=lambda e: (e.get("verified") is not True, e.get("primary") is not True))
        if not ranked:
            return "", False
        return _text(ranked[0]["email"], 254), ranked[0].get("verified") is True


class OpenIDProvider(Provider):
    kind = "oidc"

    def __init__(self, slug: str, config: dict) -> None:
        super().__init__(slug, config)
        self.issuer = config["issuer"].rstrip("/")
        self._cache_key = f"oauth:{slug}:{hashlib.sha256(self.issuer.encode()).hexdigest()[:16]}"

    def metadata(self) -> dict:
        """The provider's discovery document (cached an hour), checked to name our issuer."""
        metadata = cache.get(f"{self._cache_key}:metadata")
        if metadata is not None:
            return metadata
        url = f"{self.issuer}/.well-known/openid-configuration"
        with self._session() as session:
            metadata = self._get_json(session, url, "discovery", withhold_token=True)
        if not isinstance(metadata, dict) or _text(metadata.get("issuer"), 2000).rstrip("/") != self.issuer:
            named = metadata.get("issuer") if isinstance(metadata, dict) else None
            raise SignInRefused(
                f"{self.name}'s discovery document names the issuer {named!r}, not {self.issuer!r}.",
                code="provider_misconfigured",
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(field), str):
                raise SignInRefused(f"{self.name}'s discovery document has no {field}.", code="provider_misconfigured")
        cache.set(f"{self._cache_key}:metadata", metadata, METADATA_CACHE_SECONDS)
        return metadata

    def authorization_url(self, *, callback_url: str, state: str, code_verifier: str, nonce: str) -> str:
        url, _ = self._session(callback_url).create_authorization_url(
            self.metadata()["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce
        )
        return url

    def account_from_code(self, *, code: str, callback_url: str, code_verifier: str, nonce: str) -> ProviderAccount:
        metadata = self.metadata()
        # Basic is the default (and what discovery means when it names none); some providers take only POST.
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" not in methods and "client_secret_post" in methods:
            self.token_endpoint_auth_method = "client_secret_post"  # noqa: S105
        with self._session(callback_url) as session:
            token = self._fetch_token(session, metadata["token_endpoint"], code=code, code_verifier=code_verifier)
            claims = self._id_token_claims(session, token, nonce)
            has_userinfo = isinstance(metadata.get("userinfo_endpoint"), str)
            info = self._get_json(session, metadata["userinfo_endpoint"], "userinfo") if has_userinfo else None
        if has_userinfo:
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
                raise SignInRefused(
                    f"{self.name}'s userinfo answer is about someone else than its ID token.", code="provider_error"
                )
            # The signed ID token wins where both speak.
            claims = {**info, **claims}
        verified = claims.get("email_verified")
        email = _text(claims.get("email"), 254)
        return ProviderAccount(
            subject=claims["sub"],
            email=email,
            email_verified=verified is True or (isinstance(verified, str) and verified.lower() == "true"),
            username=_text(claims.get("preferred_username") or claims.get("nickname")) or email.partition("@")[0],
            first_name=_text(claims.get("given_name")),
            last_name=_text(claims.get("family_name")),
            display_name=_text(claims.get("name") or claims.get("preferred_username")) or email,
        )

    def _key_set(self, session: OAuth2Session, *, refresh: bool = False) -> KeySet:
        key = f"{self._cache_key}:jwks"
        jwks = None if refresh else cache.get(key)
        if jwks is None:
            jwks = self._get_json(session, self.metadata()["jwks_uri"], "JWKS", withhold_token=True)
            cache.set(key, jwks, METADATA_CACHE_SECONDS)
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SignInRefused(f"{self.name} publishes signing keys we cannot read.", code="provider_error") from exc

    def _id_token_claims(self, session: OAuth2Session, token: dict, nonce: str) -> dict:
        raw = token.get("id_token")
        if not isinstance(raw, str):
            raise SignInRefused(f"{self.name} sent no ID token.", code="invalid_id_token")
        metadata = self.metadata()
        supported = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in ID_TOKEN_ALGORITHMS if alg in supported] or ["RS256"]
        issuers = [metadata["issuer"], *ISSUER_ALIASES.get(metadata["issuer"], [])]
        try:
            try:
                decoded = jwt.decode(raw, self._key_set(session), algorithms=algorithms)
            except InvalidKeyIdError:  # the provider rotated its keys since we cached them
                decoded = jwt.decode(raw, self._key_set(session, refresh=True), algorithms=algorithms)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={
                    "iss": {"essential": True, "values": issuers},
                    "aud": {"essential": True, "value": self.client_id},
                },
                params={"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]},
            )
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            raise SignInRefused(self._id_token_problem(exc), code="invalid_id_token") from exc
        if not isinstance(claims.get("sub"), str) or not 0 < len(claims["sub"]) <= MAX_SUBJECT_LENGTH:
            raise SignInRefused(f"{self.name}'s ID token names no valid subject.", code="invalid_id_token")
        return dict(claims)

    def _id_token_problem(self, exc: Exception) -> str:
        if isinstance(exc, BadSignatureError | InvalidKeyIdError):
            return f"The ID token's signature does not match {self.name}'s published keys."
        if isinstance(exc, ExpiredTokenError):
            return "The ID token has expired."
        if isinstance(exc, InvalidClaimError) and exc.claim == "iss":
            return f"The ID token was not issued by {self.name} (wrong issuer)."
        if isinstance(exc, InvalidClaimError) and exc.claim in ("aud", "azp"):
            return "The ID token was issued to another application (wrong audience)."
        if isinstance(exc, InvalidClaimError) and exc.claim == "nonce":
            return "The ID token belongs to another sign-in (wrong nonce)."
        if isinstance(exc, ClaimError):
            return f"The ID token's {exc.claim} claim is missing or wrong."
        return "The ID token cannot be read or verified."


PROVIDER_CLASSES: dict[str, type[Provider]] = {"github": GitHubProvider, "oidc": OpenIDProvider}


def provider_get(slug: str) -> Provider | None:
    config = settings.OAUTH_PROVIDERS.get(slug)
    return PROVIDER_CLASSES[config["type"]](slug, config) if config else None


def providers_enabled() -> list[Provider]:
    return [provider_get(slug) for slug in settings.OAUTH_PROVIDERS]
