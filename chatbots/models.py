import secrets
import uuid

from django.conf import settings
from django.db import models


def generate_public_id() -> str:
    # 128 random bits, URL-safe: the public id is all a visitor needs to start a chat.
    return secrets.token_urlsafe(16)


class Chatbot(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chatbots")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    public_id = models.CharField(max_length=32, unique=True, default=generate_public_id, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    appearance = models.JSONField(default=dict, blank=True)
    behavior = models.JSONField(default=dict, blank=True)
    main_flow = models.ForeignKey("flows.Flow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    live_version = models.ForeignKey(
        "chatbots.ChatbotVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.name


class ChatbotVersion(models.Model):
    """An immutable published snapshot. Numbers count 1, 2, 3… per chatbot."""

    chatbot = models.ForeignKey(Chatbot, on_delete=models.CASCADE, related_name="versions")
    # Never reused (unlike SQLite row ids): process caches of snapshots are keyed by it.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changelog = models.TextField(blank=True, max_length=5000)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["chatbot", "number"], name="chatbot_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.chatbot} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A published version is immutable; publish a new one instead.")
        super().save(*args, **kwargs)
