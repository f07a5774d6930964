"""Chat records are what visitors and the runner wrote: operators read them, never add or edit
them (a session may be deleted whole)."""

from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyInline, timestamps
from executions.models import (
    ChatMessage,
    ChatSession,
    ChatUpload,
    ExecutionLog,
    InputReached,
    UserInput,
)


class MessageInline(ReadOnlyInline):
    model = ChatMessage
    fields = ["seq", "sender", "type", "content", "node_id", "created_at", "read_at"]
    readonly_fields = fields


class InputInline(ReadOnlyInline):
    model = UserInput
    fields = ["node_id", "variable", "raw_value", "parsed_value", "is_valid", "error", "created_at"]
    readonly_fields = fields


class LogInline(ReadOnlyInline):
    model = ExecutionLog
    fields = ["level", "node_id", "node_type", "message", "duration_ms", "created_at"]
    readonly_fields = fields


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdmin):
    deletable = True
    list_display = ["id", "chatbot", "status", "is_preview", "message_count", "started_at", "last_activity_at"]
    list_filter = ["status", "is_preview", "started_at"]
    search_fields = ["id", "chatbot__name", "pending_node_id"]
    list_select_related = ["chatbot"]
    # The runner's raw state and a preview's snapshot are internals: not shown.
    fieldsets = [
        ("Identity", {"fields": ["id", "chatbot", "version", "is_preview"]}),
        ("Configuration", {"fields": ["timeout_minutes", "allowed_origins", "save_results", "debug_logging"]}),
        ("State", {"fields": ["status", "pending_node_id", "variables", "message_count"]}),
        ("Visitor", {"fields": ["user_agent", "referrer", "ip_hash"]}),
        timestamps("started_at", "last_activity_at", "completed_at", "duration"),
    ]
    inlines = [MessageInline, InputInline, LogInline]
    date_hierarchy = "started_at"


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnlyAdmin):
    list_display = ["session", "seq", "sender", "type", "node_id", "created_at", "read_at"]
    list_filter = ["sender", "type", "created_at"]
    search_fields = ["node_id", "session__id"]
    fieldsets = [
        ("Identity", {"fields": ["session", "seq", "sender", "node_id"]}),
        ("Content", {"fields": ["type", "content"]}),
        timestamps("created_at", "read_at"),
    ]


@admin.register(UserInput)
class UserInputAdmin(ReadOnlyAdmin):
    list_display = ["session", "node_id", "variable", "is_valid", "created_at"]
    list_filter = ["is_valid", "node_type", "created_at"]
    search_fields = ["node_id", "variable", "session__id"]
    fieldsets = [
        ("Identity", {"fields": ["session", "node_id", "node_type", "variable"]}),
        ("Answer", {"fields": ["raw_value", "parsed_value", "is_valid", "error"]}),
        timestamps("created_at"),
    ]


@admin.register(InputReached)
class InputReachedAdmin(ReadOnlyAdmin):
    list_display = ["session", "node_id", "reached_at"]
    search_fields = ["node_id", "session__id"]
    fieldsets = [("Identity", {"fields": ["session", "node_id"]}), timestamps("reached_at")]


@admin.register(ExecutionLog)
class ExecutionLogAdmin(ReadOnlyAdmin):
    list_display = ["session", "level", "node_id", "node_type", "message", "created_at"]
    list_filter = ["level", "node_type", "created_at"]
    search_fields = ["message", "node_id", "session__id"]
    fieldsets = [
        ("Identity", {"fields": ["session", "node_id", "node_type"]}),
        ("Entry", {"fields": ["level", "message", "details", "duration_ms"]}),
        timestamps("created_at"),
    ]


@admin.register(ChatUpload)
class ChatUploadAdmin(ReadOnlyAdmin):
    list_display = ["name", "session", "size", "content_type", "created_at"]
    search_fields = ["name", "session__id"]
    # The file is not linked: visitors' files are downloaded as attachments through the API.
    fieldsets = [
        ("Identity", {"fields": ["session", "node_id", "token"]}),
        ("File", {"fields": ["name", "size", "content_type"]}),
        timestamps("created_at"),
    ]
