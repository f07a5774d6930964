"""Integrations in the admin, checked as the API checks them. Secrets stay encrypted and hidden:
a webhook created here gets its signing secret, shown once in the confirmation message."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from config.admin import ReadOnlyAdmin, add_service_errors, timestamps
from integrations import services
from integrations.crypto import secret_encrypt
from integrations.models import (
    ApiConnection,
    Integration,
    IntegrationLog,
    IntegrationTemplate,
    OutboxEvent,
    OutgoingEmail,
    Webhook,
    WebhookEvent,
)

URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ApiConnectionForm(forms.ModelForm):
    base_url = forms.URLField(max_length=2048, assume_scheme="https")
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the stored secret.",
    )

    class Meta:
        model = ApiConnection
        fields = ["owner", "name", "base_url", "auth_type", "auth_name", "headers"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        services.api_connection_set_secret(self.instance, cleaned.get("secret") or None)
        for name, value in cleaned.items():
            if name != "secret":
                setattr(self.instance, name, value)
        try:
            services.api_connection_check(self.instance)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


@admin.register(ApiConnection)
class ApiConnectionAdmin(admin.ModelAdmin):
    form = ApiConnectionForm
    list_display = ["name", "owner", "base_url", "auth_type", "secret_hint", "updated_at"]
    formfield_overrides = URL_FIELDS
    list_filter = ["auth_type", "created_at"]
    search_fields = ["name", "base_url", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["secret_hint", "created_at", "updated_at"]
    fieldsets = [
        ("Identity", {"fields": ["owner", "name"]}),
        ("Configuration", {"fields": ["base_url", "auth_type", "auth_name", "secret", "secret_hint", "headers"]}),
        timestamps("created_at", "updated_at"),
    ]


class SubscriptionForm(forms.ModelForm):
    """Webhooks and integrations: a URL the outbound guard allows, known events, a chatbot of
    the same owner (or none: all of the owner's chatbots)."""

    def check(self, cleaned: dict) -> None:
        cleaned["events"] = services.subscription_check(
            cleaned["owner"], url=self.url(cleaned), events=cleaned.get("events") or [], chatbot=cleaned.get("chatbot")
        )

    def url(self, cleaned: dict) -> str:
        return cleaned["url"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not isinstance(cleaned.get("events"), list) or not all(isinstance(e, str) for e in cleaned["events"]):
            self.add_error("events", "A list of event names.")
            return cleaned
        try:
            self.check(cleaned)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


class WebhookForm(SubscriptionForm):
    url = forms.URLField(max_length=2048, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["owner", "chatbot", "name", "url", "events", "is_active"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["__str__", "owner", "chatbot", "is_active", "created_at"]
    formfield_overrides = URL_FIELDS
    list_filter = ["is_active", "created_at"]
    search_fields = ["name", "url", "owner__username"]
    raw_id_fields = ["owner", "chatbot"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["rotate_secret"]
    fieldsets = [
        ("Identity", {"fields": ["owner", "chatbot", "name"]}),
        ("Configuration", {"fields": ["url", "events"]}),
        ("State", {"fields": ["is_active"]}),
        timestamps("created_at", "updated_at"),
    ]

    def save_model(self, request, obj, form, change):
        secret = None if change else services.webhook_secret_new(obj)
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(request, f"Signing secret of {obj} (shown this once, keep it safe): {secret}")

    @admin.action(description="Rotate the signing secret (the new ones are shown once)")
    def rotate_secret(self, request, queryset):
        for webhook in queryset:
            messages.warning(request, f"New signing secret of {webhook}: {services.webhook_rotate_secret(webhook)}")


class IntegrationTemplateForm(forms.ModelForm):
    docs_url = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = IntegrationTemplate
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose and order them)

    def clean_config_schema(self):
        schema = self.cleaned_data.get("config_schema")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValidationError(f"Not a valid JSON Schema: {exc.message}") from None
        return schema


@admin.register(IntegrationTemplate)
class IntegrationTemplateAdmin(admin.ModelAdmin):
    form = IntegrationTemplateForm
    list_display = ["name", "slug", "category", "payload_format"]
    formfield_overrides = URL_FIELDS
    search_fields = ["name", "slug"]
    list_filter = ["category", "payload_format"]
    fieldsets = [
        ("Identity", {"fields": ["slug", "name", "category", "icon"]}),
        ("Configuration", {"fields": ["config_schema", "payload_format"]}),
        ("Documentation", {"fields": ["description", "docs_url"]}),
    ]


class IntegrationForm(SubscriptionForm):
    class Meta:
        model = Integration
        fields = ["owner", "template", "chatbot", "name", "config", "events", "is_active"]

    def url(self, cleaned: dict) -> str:
        return str((cleaned.get("config") or {}).get("url", "")) if isinstance(cleaned.get("config"), dict) else ""

    def check(self, cleaned: dict) -> None:
        if not isinstance(cleaned.get("config"), dict):
            raise ValidationError({"config": "Must be a JSON object."})
        cleaned["config"] = services.integration_config_check(cleaned["template"], cleaned["config"])
        super().check(cleaned)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ["name", "template", "owner", "chatbot", "is_active", "updated_at"]
    list_filter = ["template", "is_active"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner", "chatbot"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        ("Identity", {"fields": ["owner", "template", "chatbot", "name"]}),
        ("Configuration", {"fields": ["config", "events"]}),
        ("State", {"fields": ["is_active"]}),
        timestamps("created_at", "updated_at"),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret_encrypted = secret_encrypt(services.new_secret())
        super().save_model(request, obj, form, change)


@admin.register(IntegrationLog)
class IntegrationLogAdmin(ReadOnlyAdmin):
    list_display = ["kind", "url", "status_code", "success", "duration_ms", "created_at"]
    list_filter = ["kind", "success", "created_at"]
    search_fields = ["url", "error"]
    fieldsets = [
        ("Identity", {"fields": ["owner", "kind", "webhook", "integration", "delivery"]}),
        ("Request", {"fields": ["method", "url"]}),
        ("Outcome", {"fields": ["status_code", "success", "duration_ms", "error", "response_excerpt"]}),
        timestamps("created_at"),
    ]


# --- Outgoing traffic: events, deliveries (a failed one can be retried from here), emails ----------


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["type", "chatbot", "created_at", "dispatched_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["id", "chatbot__name"]
    fieldsets = [
        ("Identity", {"fields": ["id", "chatbot", "type"]}),
        ("Content", {"fields": ["data"]}),
        timestamps("created_at", "dispatched_at"),
    ]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "webhook", "integration", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "event_type", "created_at"]
    search_fields = ["id", "last_error"]
    actions = ["retry"]
    fieldsets = [
        ("Identity", {"fields": ["id", "event", "chatbot", "webhook", "integration", "event_type"]}),
        ("Content", {"fields": ["payload"]}),
        ("State", {"fields": ["status", "attempts", "next_attempt_at", "last_status_code", "last_error"]}),
        ("Lease", {"fields": ["claim_token", "locked_until"], "classes": ("collapse",)}),
        timestamps("created_at", "delivered_at"),
    ]

    @admin.action(description="Retry now (a dead delivery starts its retries over)")
    def retry(self, request, queryset):
        for delivery in queryset:
            services.delivery_retry(delivery)
        messages.success(request, f"{queryset.count()} deliveries queued.")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["subject", "session", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["id", "subject", "last_error", "session__id"]
    fieldsets = [
        ("Identity", {"fields": ["id", "session", "node_id"]}),
        ("Content", {"fields": ["to", "subject", "body", "reply_to"]}),
        ("State", {"fields": ["status", "attempts", "next_attempt_at", "last_error"]}),
        ("Lease", {"fields": ["claim_token", "locked_until"], "classes": ("collapse",)}),
        timestamps("created_at", "sent_at"),
    ]
