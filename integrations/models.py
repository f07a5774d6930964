import uuid

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
    delivery = models.ForeignKey("WebhookEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="logs")
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


# --- Outgoing traffic waiting to leave: events and their deliveries, emails -----------------------


class OutboxEvent(models.Model):
    """A domain event (session.started, input.received, session.completed, chatbot.published),
    written in the same transaction as what caused it. The delivery worker fans it out to the
    subscribed webhooks and integrations (WebhookEvent rows), outside any chat turn."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chatbot = models.ForeignKey("chatbots.Chatbot", on_delete=models.CASCADE, related_name="outbox_events")
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="outbox_undispatched"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class WebhookEvent(models.Model):
    """One delivery of an event to one webhook or integration: the retry unit.

    Its id is the X-Webhook-Id header (the same on every retry, so receivers can dedupe). A
    worker claims it with a lease (`claim_token`, `locked_until`): a worker that dies
    mid-delivery loses nothing, the row is claimed again when the lease runs out.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead (retries exhausted)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    chatbot = models.ForeignKey("chatbots.Chatbot", on_delete=models.CASCADE, related_name="webhook_deliveries")
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim_token = models.UUIDField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.webhook or self.integration} ({self.status})"


class OutgoingEmail(models.Model):
    """An email a `send_email` node composed, queued with the turn that composed it and sent
    by the delivery worker after that turn committed (never inside a turn), with retries.
    Claimed under a lease like a webhook delivery (`claim_token`, `locked_until`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        DEAD = "dead", "Dead (retries exhausted)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey("executions.ChatSession", on_delete=models.CASCADE, related_name="emails")
    node_id = models.CharField(max_length=100, blank=True, default="")
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=500, blank=True, default="")
    body = models.TextField(blank=True, default="")
    reply_to = models.CharField(max_length=320, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim_token = models.UUIDField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoingemail_due")]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} → {len(self.to)} recipient(s) ({self.status})"
