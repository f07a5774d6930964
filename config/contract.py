"""Serializers of the shapes CONTRACT.md fixes for every client; apps share them from here
rather than importing each other's serializers."""

from rest_framework import serializers

from config.fields import BoundedJSONField, FiniteFloatField

GRAPH_ID = r"^[A-Za-z0-9_.:-]{1,100}$"


class PositionSerializer(serializers.Serializer):
    x = FiniteFloatField(min_value=-1e7, max_value=1e7)
    y = FiniteFloatField(min_value=-1e7, max_value=1e7)


class GraphNodeSerializer(serializers.Serializer):
    id = serializers.RegexField(GRAPH_ID)
    type = serializers.CharField(max_length=40)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    position = PositionSerializer(required=False)
    data = serializers.DictField(required=False, default=dict)


class GraphEdgeSerializer(serializers.Serializer):
    id = serializers.RegexField(GRAPH_ID)
    source = serializers.RegexField(GRAPH_ID)
    source_handle = serializers.CharField(max_length=64, required=False, allow_null=True, default="next")
    target = serializers.RegexField(GRAPH_ID)


class GraphVariableSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    default = BoundedJSONField(required=False, allow_null=True, default=None, max_bytes=10_000)


class GraphSerializer(serializers.Serializer):
    """CONTRACT §1: the whole draft graph of a flow."""

    nodes = GraphNodeSerializer(many=True, max_length=10_000)
    edges = GraphEdgeSerializer(many=True, max_length=20_000)
    variables = GraphVariableSerializer(many=True, max_length=500, required=False, default=list)
