import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """The project's user. Email is unique case-insensitively (blank only for bare superusers)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="A user with this email already exists.",
            )
        ]


def avatar_upload_to(instance: "UserProfile", filename: str) -> str:
    # The client's filename is never used: it could carry a path or a misleading extension.
    extension = filename.rsplit(".", 1)[-1]
    return f"avatars/{instance.user_id}/{uuid.uuid4().hex}.{extension}"


def default_notification_preferences() -> dict:
    return dict(NOTIFICATION_DEFAULTS)


NOTIFICATION_DEFAULTS = {
    "email_session_completed": False,
    "email_weekly_summary": True,
    "email_product_updates": False,
    "email_security_alerts": True,
}


class UserProfile(models.Model):
    user = models.OneToOneField("authentication.User", on_delete=models.CASCADE, related_name="profile")
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True, null=True)
    bio = models.TextField(blank=True, max_length=1000)
    timezone = models.CharField(max_length=64, default="UTC")
    settings = models.JSONField(default=dict, blank=True)
    notification_preferences = models.JSONField(default=default_notification_preferences, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "user profile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class OAuthIdentity(models.Model):
    """An account at an identity provider (GitHub, Google, an OIDC provider) that signs its user in."""

    user = models.ForeignKey("authentication.User", on_delete=models.CASCADE, related_name="oauth_identities")
    provider = models.CharField(max_length=40)
    # The provider's stable id for the person (OIDC `sub`, GitHub's numeric user id): never the
    # email or login, which people change.
    subject = models.CharField(max_length=255)
    email = models.EmailField(max_length=254, blank=True)
    email_verified = models.BooleanField(default=False)
    display_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth identity"
        verbose_name_plural = "OAuth identities"
        ordering = ["provider", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="oauth_identity_unique_subject"),
            models.UniqueConstraint(fields=["user", "provider"], name="oauth_identity_one_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.display_name or self.subject} → {self.user_id}"


class SingleUse(models.Model):
    """A secret that works once before it expires; only its SHA-256 is stored."""

    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class OAuthSignIn(SingleUse):
    """A sign-in between its start and the provider's callback; the secret is its state.

    It holds what must not travel through the browser: the PKCE verifier and nonce sent to
    the provider, and the builder's own PKCE challenge for the one-time code.
    """

    provider = models.CharField(max_length=40)
    redirect_uri = models.CharField(max_length=2000)
    callback_url = models.CharField(max_length=2000)
    code_verifier = models.CharField(max_length=128)
    nonce = models.CharField(max_length=64, blank=True)
    client_challenge = models.CharField(max_length=128, blank=True)
    link_user = models.ForeignKey(
        "authentication.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.provider} sign-in of {self.created_at:%Y-%m-%d %H:%M}"


class OAuthExchangeCode(SingleUse):
    """The one-time code the builder gets back from a sign-in: it turns into a JWT pair, or
    into the reason the sign-in was refused (`error_*`), once."""

    user = models.ForeignKey("authentication.User", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    new_account = models.BooleanField(default=False)
    client_challenge = models.CharField(max_length=128, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    error_status = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in code of {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    class Access(models.TextChoices):
        READ_ONLY = "read_only", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey("authentication.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The token's first characters, to recognise it in a list.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.READ_ONLY)
    # Fingerprint of the user's password hash when the token was made: a password change stops it.
    password_fingerprint = models.CharField(max_length=64)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
