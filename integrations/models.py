from django.conf import settings
from django.db import models

EVENT_CHOICES = [
    ("session.started", "A chat session started"),
    ("session.completed", "A chat session completed"),
    ("input.received", "A visitor answered an input"),
    ("chatbot.published", "A chatbot version was published"),
]


class ApiConnection(models.Model):
    """A base URL with credentials, used by http_request nodes. The secret is stored encrypted
    and never leaves the server: responses show only its last characters."""

    class AuthType(models.TextChoices):
        NONE = "none", "No authentication"
        BEARER = "bearer", "Bearer token"
        BASIC = "basic", "Basic (username and password)"
        HEADER = "header", "API key in a header"
        QUERY = "query", "API key in the query string"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_connections")
    name = models.CharField(max_length=100)
    base_url = models.URLField(max_length=2048)
    auth_type = models.CharField(max_length=16, choices=AuthType.choices, default=AuthType.NONE)
    # The header name (header key), the query parameter (query key) or the username (basic).
    auth_name = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.TextField(blank=True)
    secret_hint = models.CharField(max_length=8, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="api_connection_name_unique")]

    def __str__(self) -> str:
        return self.name


class Webhook(models.Model):
    """An event subscription: signed POSTs to `url` for the chosen events of one chatbot (or
    all of the owner's chatbots)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    chatbot = models.ForeignKey(
        "chatbots.Chatbot", null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=2048)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or self.url


class IntegrationTemplate(models.Model):
    """A preset destination (Slack, Zapier, a REST API, Google Sheets…), loaded by a data migration."""

    class PayloadFormat(models.TextChoices):
        EVENT = "event", "The signed event as JSON"
        SLACK = "slack", "A Slack message"
        ROW = "row", "A flat row of values"

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=50, blank=True)
    icon = models.CharField(max_length=50, blank=True)
    config_schema = models.JSONField(default=dict)
    payload_format = models.CharField(max_length=16, choices=PayloadFormat.choices, default=PayloadFormat.EVENT)
    docs_url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Integration(models.Model):
    """A configured preset: where to send which events, in the preset's format."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integrations")
    template = models.ForeignKey(IntegrationTemplate, on_delete=models.PROTECT, related_name="integrations")
    chatbot = models.ForeignKey(
        "chatbots.Chatbot", null=True, blank=True, on_delete=models.CASCADE, related_name="integrations"
    )
    name = models.CharField(max_length=100)
    config = models.JSONField(default=dict)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class IntegrationLog(models.Model):
    """One outbound attempt: a webhook delivery, an integration test or an API test."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", "Event delivery"
        TEST = "test", "Test"
        API_TEST = "api_test", "API test"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_logs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs")
    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs")
    delivery = models.ForeignKey(
        "executions.WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    method = models.CharField(max_length=8, default="POST")
    url = models.CharField(max_length=2048)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    success = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.url} {self.status_code}"
