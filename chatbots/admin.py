from django.contrib import admin

from chatbots.models import Chatbot, ChatbotVersion


class VersionInline(admin.TabularInline):
    model = ChatbotVersion
    extra = 0
    fields = ["number", "changelog", "created_by", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Chatbot)
class ChatbotAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "public_id", "live_version", "updated_at"]
    list_filter = ["status", "created_at", "updated_at"]
    search_fields = ["name", "description", "public_id", "owner__username", "owner__email"]
    readonly_fields = ["public_id", "live_version", "created_at", "updated_at"]
    raw_id_fields = ["owner", "main_flow"]
    list_select_related = ["owner", "live_version"]
    inlines = [VersionInline]  # flows adds its inline (apps only reach to their left)


@admin.register(ChatbotVersion)
class ChatbotVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: viewable, never editable."""

    list_display = ["chatbot", "number", "created_by", "created_at", "restored_from"]
    list_filter = ["created_at"]
    search_fields = ["chatbot__name", "changelog"]
    list_select_related = ["chatbot", "created_by"]
    readonly_fields = ["chatbot", "number", "snapshot", "changelog", "restored_from", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
