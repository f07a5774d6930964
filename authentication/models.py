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
