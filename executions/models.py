import uuid

from django.db import models


class ChatSession(models.Model):
    """One visitor's conversation with a chatbot. The UUID4 id is the visitor's only
    capability: unguessable, and shown to nobody but the visitor and the bot's owner."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chatbot = models.ForeignKey("chatbots.Chatbot", on_delete=models.CASCADE, related_name="sessions")
    # The version the session runs on, to its end; null only for previews of the draft.
    version = models.ForeignKey(
        "chatbots.ChatbotVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    # Copied from the version and the bot when the session starts, so a reply reads one row:
    # the snapshot's cache key, the idle timeout and the origins allowed to embed the chat.
    version_uid = models.UUIDField(null=True, blank=True, editable=False)
    timeout_minutes = models.PositiveIntegerField(default=1440)
    allowed_origins = models.JSONField(default=list, blank=True)
    preview_snapshot = models.JSONField(null=True, blank=True)
    is_preview = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    variables = models.JSONField(default=dict, blank=True)
    # Runner position: current flow, call stack, counters, and the pending input as shown.
    state = models.JSONField(default=dict, blank=True)
    pending_node_id = models.CharField(max_length=100, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    duration = models.DurationField(null=True, blank=True)
    # Incremented by every stored turn: a turn is stored only if the counter still holds the
    # value it was read with (compare-and-swap), so concurrent replies never both apply.
    turn = models.PositiveIntegerField(default=0, editable=False)
    # From the bot's behavior when the session starts: log every node's execution (always for
    # previews), and keep answers and transcript once the session ends.
    debug_logging = models.BooleanField(default=False)
    save_results = models.BooleanField(default=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["chatbot", "is_preview", "started_at"]),
            models.Index(fields=["chatbot", "status"]),
            # Not on last_activity_at: every reply changes it, and an index on it would make
            # every reply's UPDATE rewrite all of the table's indexes (no HOT update).
            models.Index(fields=["status"], name="chatsession_status"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        BOT = "bot", "Bot"
        USER = "user", "User"

    # Indexed by the (session, seq) constraint; a second index would only slow every reply.
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages", db_index=False)
    # Position in the conversation: the public id is "m<seq>", so visitors see no global count.
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    type = models.CharField(max_length=16, default="text")
    content = models.JSONField(default=dict)
    node_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="message_seq_unique_in_session")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.content.get('text') or self.content.get('url') or self.type}"


class UserInput(models.Model):
    """An answer given to an input node, valid or not."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="inputs")
    node_id = models.CharField(max_length=100)
    node_type = models.CharField(max_length=40, blank=True)
    variable = models.CharField(max_length=64, blank=True)
    raw_value = models.JSONField(null=True, blank=True)
    parsed_value = models.JSONField(null=True, blank=True)
    is_valid = models.BooleanField()
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.node_id}={self.raw_value!r}"


class InputReached(models.Model):
    """A session was shown an input node (once per node and session): analytics' `reached`."""

    # Indexed by the (session, node_id) constraint.
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="inputs_reached", db_index=False)
    node_id = models.CharField(max_length=100)
    reached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reached_at", "id"]
        verbose_name_plural = "inputs reached"
        constraints = [models.UniqueConstraint(fields=["session", "node_id"], name="input_reached_once")]

    def __str__(self) -> str:
        return self.node_id


class ExecutionLog(models.Model):
    class Level(models.TextChoices):
        DEBUG = "debug", "Debug"
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    # Indexed by the (session, level) index.
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="logs", db_index=False)
    node_id = models.CharField(max_length=100, blank=True)
    node_type = models.CharField(max_length=40, blank=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.CharField(max_length=1000)
    details = models.JSONField(default=dict, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "level"])]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message}"


def upload_path(instance: "ChatUpload", filename: str) -> str:
    # Never the visitor's file name on disk: it could carry a path or a misleading extension.
    return f"chat-uploads/{instance.session_id}/{instance.token}"


class ChatUpload(models.Model):
    """A file a visitor uploaded for a file_upload input; the answer names it by token."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="uploads")
    token = models.CharField(max_length=43, unique=True)
    node_id = models.CharField(max_length=100)
    file = models.FileField(upload_to=upload_path, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
