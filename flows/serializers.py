from typing import Literal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chatbots.options import APPEARANCE_SCHEMA, BEHAVIOR_SCHEMA
from chatbots.services import PUBLIC_BEHAVIOR
from config.contract import GraphSerializer
from config.fields import IdField
from flows.models import Flow, FlowExecution, FlowTemplate

TAG = r"^[a-z0-9][a-z0-9-]{0,39}$"


class FlowSerializer(serializers.ModelSerializer):
    node_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Flow
        fields = [
            "id",
            "chatbot",
            "name",
            "description",
            "is_main",
            "settings",
            "variables",
            "node_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FlowCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    settings = serializers.DictField(required=False, default=dict)
    template = IdField(required=False, help_text="A flow template (public or yours) to start from.")


class FlowUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    settings = serializers.DictField(required=False)


class FlowCloneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)


class ValidationIssueSerializer(serializers.Serializer):
    code = serializers.CharField()
    node_id = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ValidationReportSerializer(serializers.Serializer):
    errors = ValidationIssueSerializer(many=True)
    warnings = ValidationIssueSerializer(many=True)


class FlowTemplateSerializer(serializers.ModelSerializer):
    is_owner = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField(
        help_text="catalog: shipped with the product; yours: one of your templates; shared: another user's, public."
    )

    class Meta:
        model = FlowTemplate
        fields = [
            "id",
            "name",
            "description",
            "category",
            "tags",
            "is_public",
            "is_owner",
            "source",
            "graph",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_owner(self, obj: FlowTemplate) -> bool:
        request = self.context.get("request")
        return bool(request and obj.owner_id == request.user.pk)

    def get_source(self, obj: FlowTemplate) -> Literal["catalog", "yours", "shared"]:
        if obj.owner_id is None:
            return "catalog"
        return "yours" if self.get_is_owner(obj) else "shared"


class FlowTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=FlowTemplate.Category.choices, required=False, default="other")
    tags = serializers.ListField(child=serializers.RegexField(TAG), max_length=20, required=False, default=list)
    is_public = serializers.BooleanField(
        required=False, default=False, help_text="Share it with every user (they can use it, never change it)."
    )
    graph = GraphSerializer(required=False)
    flow = IdField(required=False, help_text="Copy the graph of this flow of yours.")

    def validate_graph(self, value):
        if self.partial:
            # A graph is replaced whole: in a PATCH its own required keys (nodes, edges) stay required.
            whole = GraphSerializer(data=self.initial_data.get("graph"))
            whole.is_valid(raise_exception=True)
            return whole.validated_data
        return value

    def validate(self, attrs):
        if self.partial:
            return attrs
        if ("graph" in attrs) == ("flow" in attrs):
            raise serializers.ValidationError("Give either `graph` or `flow`.")
        return attrs


class TemplateUseSerializer(serializers.Serializer):
    chatbot = IdField()
    name = serializers.CharField(max_length=200, required=False)


# --- The public profile of a published chatbot (what a chat widget needs) -------------------


@extend_schema_field(APPEARANCE_SCHEMA)
class PublicAppearanceField(serializers.DictField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {key: BEHAVIOR_SCHEMA["properties"][key] for key in PUBLIC_BEHAVIOR},
    }
)
class PublicBehaviorField(serializers.DictField):
    pass


class ChatUploadsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="Whether the published flow asks for a file anywhere.")
    max_size_mb = serializers.IntegerField(help_text="The largest file the chat API accepts.")


class ChatbotProfileSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    name = serializers.CharField()
    appearance = PublicAppearanceField(help_text="Title, colours, avatar, welcome text, launcher position, theme.")
    behavior = PublicBehaviorField(help_text="What the chat client applies: typing delay, input placeholder.")
    uploads = ChatUploadsSerializer()


class FlowRunSessionSerializer(serializers.Serializer):
    """The chat session a flow run belongs to (the session lives in the executions app)."""

    id = serializers.UUIDField()
    status = serializers.CharField(help_text="active, completed, failed or expired")
    is_preview = serializers.BooleanField()
    version = serializers.IntegerField(
        source="version.number", allow_null=True, default=None, help_text="The published version; null in a preview."
    )
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class FlowExecutionSerializer(serializers.ModelSerializer):
    flow = serializers.IntegerField(source="flow_id", allow_null=True, help_text="The flow's id.")
    duration = serializers.FloatField(
        source="duration_seconds", allow_null=True, help_text="Seconds from start to end; null while running."
    )

    class Meta:
        model = FlowExecution
        fields = ["id", "flow", "flow_name", "status", "started_at", "ended_at", "duration"]
        read_only_fields = fields


class FlowExecutionDetailSerializer(FlowExecutionSerializer):
    session = FlowRunSessionSerializer(read_only=True)

    class Meta(FlowExecutionSerializer.Meta):
        fields = [*FlowExecutionSerializer.Meta.fields, "session"]
        read_only_fields = fields
