import re

from rest_framework import serializers

from authentication.models import OAuthIdentity
from authentication.serializers import UserSerializer

PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


class ProviderSerializer(serializers.Serializer):
    id = serializers.CharField(source="slug", help_text="Use it in /api/auth/oauth/{id}/start/.")
    name = serializers.CharField(help_text="For the button: GitHub, Google, or the name configured.")
    protocol = serializers.ChoiceField(source="kind", choices=["oauth2", "oidc"])


class StartSerializer(serializers.Serializer):
    redirect_uri = serializers.CharField(
        max_length=2000, help_text="The builder page to return to: one of OAUTH_REDIRECT_URIS, exactly."
    )
    code_challenge = serializers.RegexField(
        PKCE_CHALLENGE,
        required=False,
        default="",
        help_text=(
            "Recommended: BASE64URL(SHA256(code_verifier)) of a secret the builder keeps (PKCE, S256). "
            "The one-time code then works only with that code_verifier."
        ),
    )
    link = serializers.BooleanField(
        default=False, help_text="Link the provider to the signed-in account (needs a JWT) instead of signing in."
    )


class StartResponseSerializer(serializers.Serializer):
    authorization_url = serializers.URLField(help_text="Send the browser here.")


class ExchangeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=200, help_text="The one-time code the builder page received.")
    code_verifier = serializers.RegexField(
        PKCE_VERIFIER, required=False, default="", help_text="Required when the sign-in started with a code_challenge."
    )


class ExchangeResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()
    new_account = serializers.BooleanField(help_text="True when this sign-in created the account.")


class SignInErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        help_text=(
            "Why: invalid_state, state_used, state_expired, invalid_code, code_used, code_expired, "
            "verifier_missing, verifier_mismatch, verifier_unexpected, provider_error, provider_unavailable, "
            "provider_misconfigured, provider_disabled, invalid_id_token, email_missing, email_taken, "
            "identity_taken, provider_already_linked, account_disabled, conflict."
        )
    )


class IdentitySerializer(serializers.ModelSerializer):
    provider_name = serializers.SerializerMethodField()
    can_unlink = serializers.SerializerMethodField(
        help_text="False when it is the account's only way to sign in (no password, no other identity)."
    )

    class Meta:
        model = OAuthIdentity
        fields = [
            "id",
            "provider",
            "provider_name",
            "display_name",
            "email",
            "email_verified",
            "created_at",
            "last_login_at",
            "can_unlink",
        ]
        read_only_fields = fields

    def get_provider_name(self, identity: OAuthIdentity) -> str:
        providers = self.context.get("providers", {})
        return providers[identity.provider].name if identity.provider in providers else identity.provider

    def get_can_unlink(self, identity: OAuthIdentity) -> bool:
        return bool(self.context.get("can_unlink"))
