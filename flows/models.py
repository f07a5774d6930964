from django.conf import settings
from django.db import models


class Flow(models.Model):
    """One canvas of a chatbot. Its nodes and edges live in the components app."""

    chatbot = models.ForeignKey("chatbots.Chatbot", on_delete=models.CASCADE, related_name="flows")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    is_main = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)
    # [{"name": "email", "default": null}, …] — the declared variables (docs/graph.md).
    variables = models.JSONField(default=list, blank=True)
    # Size of the draft graph as compact JSON, kept by every graph write: a chatbot's flows
    # together are held to CHATBOT_MAX_GRAPH_MB without reading them all back.
    graph_bytes = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_main", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chatbot"], condition=models.Q(is_main=True), name="one_main_flow_per_chatbot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.chatbot}: {self.name}"


class FlowTemplate(models.Model):
    class Category(models.TextChoices):
        LEAD_GENERATION = "lead_generation", "Lead generation"
        SUPPORT = "support", "Customer support"
        SURVEY = "survey", "Survey"
        SCHEDULING = "scheduling", "Scheduling"
        ONBOARDING = "onboarding", "Onboarding"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER, db_index=True)
    tags = models.JSONField(default=list, blank=True)
    is_public = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="flow_templates"
    )
    # The graph (docs/graph.md): {"nodes": […], "edges": […], "variables": […]}.
    graph = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class FlowExecution(models.Model):
    """One flow's run inside a chat session (a flow_link starts another and returns)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        ABANDONED = "abandoned", "Abandoned"

    # Indexed by the (session, status) index.
    session = models.ForeignKey(
        "executions.ChatSession", on_delete=models.CASCADE, related_name="flow_executions", db_index=False
    )
    # The flow's id in the published snapshot (the draft flow may since have been deleted).
    flow_key = models.CharField(max_length=32)
    flow_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        return f"{self.flow_name} in {self.session_id}"

    @property
    def flow_id(self) -> int | None:
        """The draft flow's id the run's key stands for (keys of compiled flows are flow ids)."""
        return int(self.flow_key) if self.flow_key.isdigit() else None

    @property
    def duration_seconds(self) -> float | None:
        return round((self.ended_at - self.started_at).total_seconds(), 3) if self.ended_at else None
