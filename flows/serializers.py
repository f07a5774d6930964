from rest_framework import serializers

from config.contract import GraphSerializer
from config.fields import IdField
from flows.models import Flow, FlowTemplate

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
            "graph",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_owner(self, obj: FlowTemplate) -> bool:
        request = self.context.get("request")
        return bool(request and obj.owner_id == request.user.pk)


class FlowTemplateWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=FlowTemplate.Category.choices, required=False, default="other")
    tags = serializers.ListField(child=serializers.RegexField(TAG), max_length=20, required=False, default=list)
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
