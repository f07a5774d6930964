from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from chatbots.models import Chatbot, ChatbotVersion
from chatbots.options import options_clean
from config.admin import ReadOnlyAdmin, ReadOnlyInline, add_service_errors, timestamps


class VersionInline(ReadOnlyInline):
    model = ChatbotVersion
    fields = ["number", "changelog", "created_by", "created_at"]
    readonly_fields = fields


class ChatbotForm(forms.ModelForm):
    """Appearance and behaviour are checked (and completed with defaults) as the API does."""

    class Meta:
        model = Chatbot
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose and order them)

    def clean(self):
        cleaned = super().clean()
        for kind in ("appearance", "behavior"):
            if kind in cleaned:
                try:
                    cleaned[kind] = options_clean(kind, cleaned[kind] if cleaned[kind] is not None else {})
                except ValidationError as exc:
                    add_service_errors(self, exc, fallback=kind)
        if cleaned.get("status") == Chatbot.Status.PUBLISHED and not self.instance.live_version_id:
            self.add_error("status", "This chatbot has never been published; publish it through the API.")
        return cleaned


@admin.register(Chatbot)
class ChatbotAdmin(admin.ModelAdmin):
    form = ChatbotForm
    list_display = ["name", "owner", "status", "public_id", "live_version", "updated_at"]
    list_filter = ["status", "created_at", "updated_at"]
    search_fields = ["name", "description", "public_id", "owner__username", "owner__email"]
    readonly_fields = ["public_id", "main_flow", "live_version", "created_at", "updated_at"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner", "live_version"]
    fieldsets = [
        ("Identity", {"fields": ["owner", "name", "description", "public_id"]}),
        ("Configuration", {"fields": ["appearance", "behavior"]}),
        ("State", {"fields": ["status", "main_flow", "live_version"]}),
        timestamps("created_at", "updated_at"),
    ]
    inlines = [VersionInline]  # flows adds its inline (apps only reach to their left)

    def has_add_permission(self, request):
        return False  # a chatbot starts with its main flow: create chatbots through the API


@admin.register(ChatbotVersion)
class ChatbotVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: viewable, never editable."""

    list_display = ["chatbot", "number", "created_by", "created_at", "restored_from"]
    list_filter = ["created_at"]
    search_fields = ["chatbot__name", "changelog"]
    list_select_related = ["chatbot", "created_by"]
    fieldsets = [
        ("Identity", {"fields": ["chatbot", "number", "uid"]}),
        ("Configuration", {"fields": ["snapshot", "changelog"]}),
        ("State", {"fields": ["restored_from", "created_by"]}),
        timestamps("created_at"),
    ]
