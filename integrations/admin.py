from django.contrib import admin
from django.db import models

from integrations.models import ApiConnection, Integration, IntegrationLog, IntegrationTemplate, Webhook


@admin.register(ApiConnection)
class ApiConnectionAdmin(admin.ModelAdmin):
    """Secrets stay encrypted and hidden here too: only their hint is shown."""

    list_display = ["name", "owner", "base_url", "auth_type", "secret_hint", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["auth_type", "created_at"]
    search_fields = ["name", "base_url", "owner__username"]
    raw_id_fields = ["owner"]
    exclude = ["secret_encrypted"]
    readonly_fields = ["secret_hint", "created_at", "updated_at"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "chatbot", "is_active", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "url", "owner__username"]
    raw_id_fields = ["owner", "chatbot"]
    exclude = ["secret_encrypted"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(IntegrationTemplate)
class IntegrationTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "payload_format"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    search_fields = ["name", "slug"]
    list_filter = ["category", "payload_format"]


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "template", "owner", "chatbot", "is_active", "updated_at"]
    list_filter = ["template", "is_active"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner", "chatbot"]
    exclude = ["secret_encrypted"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(IntegrationLog)
class IntegrationLogAdmin(admin.ModelAdmin):
    list_display = ["kind", "url", "status_code", "success", "duration_ms", "created_at"]
    list_filter = ["kind", "success", "created_at"]
    search_fields = ["url", "error"]
    raw_id_fields = ["owner", "webhook", "integration", "delivery"]
    readonly_fields = [f.name for f in IntegrationLog._meta.fields]
