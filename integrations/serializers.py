from rest_framework import serializers

from chatbots.models import Chatbot
from chatbots.selectors import chatbots_owned
from config.fields import BoundedJSONField, IdField
from integrations.models import (
    EVENT_CHOICES,
    ApiConnection,
    Integration,
    IntegrationLog,
    IntegrationTemplate,
    Webhook,
    WebhookEvent,
)

EVENT_LIST = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, max_length=4)


class OwnedChatbotField(serializers.PrimaryKeyRelatedField):
    """One of the requesting user's chatbots (others read as unknown ids)."""

    def get_queryset(self):
        request = self.context.get("request")
        return chatbots_owned(user=request.user) if request else Chatbot.objects.none()


class ApiConnectionSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=4096,
        style={"input_type": "password"},
        help_text="Write-only. Shown afterwards only as `secret_hint` (its last characters).",
    )
    headers = serializers.DictField(child=serializers.CharField(max_length=4096), required=False)

    class Meta:
        model = ApiConnection
        fields = [
            "id",
            "name",
            "base_url",
            "auth_type",
            "auth_name",
            "secret",
            "secret_hint",
            "headers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "secret_hint", "created_at", "updated_at"]


class WebhookSerializer(serializers.ModelSerializer):
    chatbot = OwnedChatbotField(required=False, allow_null=True)
    events = EVENT_LIST

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "chatbot", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown once, keep it safe.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: shown once.")


class IntegrationTemplateSerializer(serializers.ModelSerializer):
    # Not a URLField in the schema: a template without documentation has "".
    docs_url = serializers.CharField(read_only=True, help_text="The service's documentation page, or empty.")

    class Meta:
        model = IntegrationTemplate
        fields = ["slug", "name", "description", "category", "icon", "config_schema", "payload_format", "docs_url"]
        read_only_fields = fields


class IntegrationSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="slug", queryset=IntegrationTemplate.objects.all())
    chatbot = OwnedChatbotField(required=False, allow_null=True)
    config = BoundedJSONField(max_bytes=20_000)
    events = EVENT_LIST

    class Meta:
        model = Integration
        fields = ["id", "name", "template", "chatbot", "config", "events", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_config(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class BulkActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["activate", "deactivate", "delete"])
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=500)


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    affected = serializers.IntegerField()


class TestResultSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    response_excerpt = serializers.CharField(allow_blank=True)
    headers = serializers.DictField(child=serializers.CharField())


class TestWebhookSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2048)
    secret = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    event = serializers.ChoiceField(choices=EVENT_CHOICES, default="session.completed")


class TestApiSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], default="GET")
    url = serializers.CharField(max_length=2048, allow_blank=True, default="")
    headers = serializers.DictField(child=serializers.CharField(max_length=4096), required=False, default=dict)
    query = serializers.DictField(child=serializers.CharField(max_length=4096), required=False, default=dict)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)
    connection = IdField(required=False)
    timeout = serializers.FloatField(min_value=0.1, max_value=30, default=10)


class IntegrationLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntegrationLog
        fields = [
            "id",
            "kind",
            "webhook",
            "integration",
            "delivery",
            "method",
            "url",
            "status_code",
            "success",
            "duration_ms",
            "error",
            "response_excerpt",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "event_type",
            "chatbot",
            "webhook",
            "integration",
            "target",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "payload",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields

    def get_target(self, obj) -> str:
        if obj.webhook_id:
            return obj.webhook.url
        return (obj.integration.config or {}).get("url", "") if obj.integration_id else ""
