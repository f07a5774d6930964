from rest_framework import serializers

from components.models import (
    ComponentCategory,
    ComponentConnection,
    ComponentInstance,
    ComponentTemplate,
    ComponentVariable,
)
from config.contract import GRAPH_ID, GraphNodeSerializer, PositionSerializer
from config.fields import BoundedJSONField, IdField


class ComponentTemplateSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ComponentTemplate
        fields = ["type", "category", "label", "description", "icon", "config_schema", "outputs", "blocking", "order"]
        read_only_fields = fields


class ComponentCategorySerializer(serializers.ModelSerializer):
    templates = ComponentTemplateSerializer(many=True, read_only=True)

    class Meta:
        model = ComponentCategory
        fields = ["slug", "name", "description", "icon", "order", "templates"]
        read_only_fields = fields


class CategoryBriefSerializer(serializers.ModelSerializer):
    count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ComponentCategory
        fields = ["slug", "name", "description", "icon", "order", "count"]
        read_only_fields = fields


class NodeConfigCheckSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=40)
    data = serializers.DictField(required=False, default=dict)
    node_id = serializers.RegexField(GRAPH_ID, required=False)


class NodeConfigReportSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    node_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    data = serializers.DictField(allow_null=True, help_text="The config with defaults filled in, when valid.")
    outputs = serializers.ListField(child=serializers.CharField(), help_text="The node's handles.")


class InstanceSerializer(serializers.ModelSerializer):
    position = serializers.SerializerMethodField()
    data = serializers.JSONField(source="config")

    class Meta:
        model = ComponentInstance
        fields = ["id", "flow", "node_id", "type", "label", "position", "data", "created_at", "updated_at"]
        read_only_fields = fields

    def get_position(self, obj: ComponentInstance) -> dict:
        return {"x": obj.position_x, "y": obj.position_y}


class InstanceWriteSerializer(GraphNodeSerializer):
    """A node as in the graph (`id` is the node id), plus the flow it belongs to on create."""

    flow = IdField(required=False)


class InstanceUpdateSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=40, required=False)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    position = PositionSerializer(required=False)
    data = serializers.DictField(required=False)


class InstanceBulkUpdateItemSerializer(InstanceUpdateSerializer):
    id = serializers.RegexField(GRAPH_ID, help_text="The node id.")


class InstanceBulkSerializer(serializers.Serializer):
    flow = IdField()
    create = GraphNodeSerializer(many=True, required=False, default=list, max_length=10_000)
    update = InstanceBulkUpdateItemSerializer(many=True, required=False, default=list, max_length=10_000)
    delete = serializers.ListField(
        child=serializers.RegexField(GRAPH_ID), required=False, default=list, max_length=10_000
    )


class ConnectionSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="node_id", read_only=True)
    target = serializers.SlugRelatedField(slug_field="node_id", read_only=True)

    class Meta:
        model = ComponentConnection
        fields = ["id", "flow", "edge_id", "source", "source_handle", "target", "created_at"]
        read_only_fields = fields


class ConnectionWriteSerializer(serializers.Serializer):
    flow = IdField(required=False)
    edge_id = serializers.RegexField(GRAPH_ID)
    source = serializers.RegexField(GRAPH_ID)
    source_handle = serializers.CharField(max_length=64, required=False, default="next")
    target = serializers.RegexField(GRAPH_ID)


class ConnectionUpdateSerializer(serializers.Serializer):
    source = serializers.RegexField(GRAPH_ID, required=False)
    source_handle = serializers.CharField(max_length=64, required=False)
    target = serializers.RegexField(GRAPH_ID, required=False)


class VariableSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComponentVariable
        fields = ["id", "flow", "name", "default", "declared", "read_by", "written_by"]
        read_only_fields = fields


class VariableWriteSerializer(serializers.Serializer):
    flow = IdField(required=False)
    name = serializers.CharField(max_length=64)
    default = BoundedJSONField(required=False, allow_null=True, default=None, max_bytes=10_000)


class VariableUpdateSerializer(serializers.Serializer):
    """A partial update: either field alone, or both."""

    name = serializers.CharField(max_length=64, required=False, help_text="Rename the declaration (keeps the id).")
    default = BoundedJSONField(required=False, allow_null=True, max_bytes=10_000)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give `name`, `default` or both.")
        return attrs
