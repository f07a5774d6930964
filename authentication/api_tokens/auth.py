"""`Authorization: Bearer cbt_…`: personal API tokens, accepted beside JWTs.

This class runs before simplejwt's and answers only for bearer tokens with our prefix, so a
JWT never reaches the token table and an API token never reaches the JWT decoder.
"""

import hashlib
from datetime import timedelta

from django.utils import timezone

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.utils import get_md5_hash_password

TOKEN_PREFIX = "cbt_"  # noqa: S105  (a marker, not a secret)
# last_used_at is written at most this often per token, so reading with a token is not a
# database write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(secret: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough, and it lets us look a token up by it.
    return hashlib.sha256(secret.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """Changes whenever the password does (the same fingerprint simplejwt puts in JWTs)."""
    return get_md5_hash_password(user.password)


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates `Bearer cbt_…`; `request.auth` is then the ApiToken.

    Refuses (401) unknown, revoked and expired tokens, tokens of inactive users and tokens made
    before the user's last password change; refuses (403) writes with a read-only token.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer" or not parts[1].startswith(TOKEN_PREFIX.encode()):
            return None
        from authentication.models import ApiToken

        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API token.", "token_not_valid") from None
        token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(secret)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.", "token_not_valid")
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API token has expired.", "token_expired")
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("No active account found for this API token.", "user_inactive")
        if token.password_fingerprint != password_fingerprint(user):
            raise exceptions.AuthenticationFailed(
                "The password has changed since this API token was made.", "password_changed"
            )
        if token.access == ApiToken.Access.READ_ONLY and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied("This API token is read-only: it may only read (GET, HEAD, OPTIONS).")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class NotByApiToken(permissions.BasePermission):
    """For what an API token must never do: make more tokens, change the password, link or
    unlink sign-in providers. A stolen token must not be able to outlive its revocation."""

    message = "API tokens cannot do this: sign in with your password or a provider (JWT) first."

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.successful_authenticator, ApiTokenAuthentication)


JWT_ONLY_AUTH = [{"jwtAuth": []}, {"cookieAuth": []}]


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "authentication.api_tokens.auth.ApiTokenAuthentication"
    name = "apiTokenAuth"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix="Bearer",  # noqa: S106
            bearer_format="cbt_…",
        )
        scheme["description"] = (
            "A personal API token from /api/auth/tokens/ (`Authorization: Bearer cbt_…`). "
            "Read-only tokens get 403 on anything but GET, HEAD and OPTIONS."
        )
        return scheme
