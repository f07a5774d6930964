from django.contrib import admin

from executions.models import (
    ChatMessage,
    ChatSession,
    ChatUpload,
    ExecutionLog,
    InputReached,
    OutboxEvent,
    OutgoingEmail,
    UserInput,
    WebhookEvent,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInline):
    model = ChatMessage
    fields = ["seq", "sender", "type", "content", "node_id", "created_at"]
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
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "chatbot", "status", "is_preview", "message_count", "started_at", "last_activity_at"]
    list_filter = ["status", "is_preview", "started_at"]
    search_fields = ["id", "chatbot__name", "pending_node_id"]
    list_select_related = ["chatbot"]
    raw_id_fields = ["chatbot", "version"]
    readonly_fields = ["started_at", "last_activity_at", "completed_at", "duration", "ip_hash", "message_count"]
    exclude = ["preview_snapshot"]
    inlines = [MessageInline, InputInline, LogInline]
    date_hierarchy = "started_at"


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["session", "seq", "sender", "type", "node_id", "created_at"]
    list_filter = ["sender", "type", "created_at"]
    search_fields = ["node_id", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["created_at"]


@admin.register(UserInput)
class UserInputAdmin(admin.ModelAdmin):
    list_display = ["session", "node_id", "variable", "is_valid", "created_at"]
    list_filter = ["is_valid", "node_type", "created_at"]
    search_fields = ["node_id", "variable", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["created_at"]


@admin.register(InputReached)
class InputReachedAdmin(admin.ModelAdmin):
    list_display = ["session", "node_id", "reached_at"]
    search_fields = ["node_id", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["reached_at"]


@admin.register(ExecutionLog)
class ExecutionLogAdmin(admin.ModelAdmin):
    list_display = ["session", "level", "node_id", "node_type", "message", "created_at"]
    list_filter = ["level", "node_type", "created_at"]
    search_fields = ["message", "node_id", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["created_at"]


@admin.register(ChatUpload)
class ChatUploadAdmin(admin.ModelAdmin):
    list_display = ["name", "session", "size", "content_type", "created_at"]
    search_fields = ["name", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["token", "created_at"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["type", "chatbot", "created_at", "dispatched_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["id", "chatbot__name"]
    raw_id_fields = ["chatbot"]
    readonly_fields = ["created_at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "webhook", "integration", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "event_type", "created_at"]
    search_fields = ["id", "last_error"]
    raw_id_fields = ["event", "chatbot", "webhook", "integration"]
    readonly_fields = ["created_at", "delivered_at", "claim_token", "locked_until"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "session", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["id", "subject", "last_error", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["created_at", "sent_at", "claim_token", "locked_until"]
