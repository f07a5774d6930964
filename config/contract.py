"""Serializers of the shapes CONTRACT.md fixes for every client; apps share them from here
rather than importing each other's serializers."""

import math

from drf_spectacular.utils import extend_schema_field
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


# --- CONTRACT §3: the public chat API ----------------------------------------------------------


SCALAR_SCHEMA = {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "nullable": True}


@extend_schema_field(SCALAR_SCHEMA)
class ScalarField(serializers.Field):
    """A string, number, boolean or null: what a chat variable or answer may hold."""

    default_error_messages = {
        "invalid": "Must be a string, a number, true/false or null.",
        "too_long": "At most {max_length} characters.",
    }

    def __init__(self, *, max_length: int = 10_000, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or data is None:
            return data
        if isinstance(data, int | float):
            if isinstance(data, float) and not math.isfinite(data):
                self.fail("invalid")
            return data
        if isinstance(data, str):
            if len(data) > self.max_length:
                self.fail("too_long", max_length=self.max_length)
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


@extend_schema_field(
    {"oneOf": [*SCALAR_SCHEMA["oneOf"], {"type": "array", "items": {"type": "string"}}], "nullable": True}
)
class AnswerField(ScalarField):
    """A reply's value: a scalar, or a list of strings (a multiple choice)."""

    default_error_messages = {
        **ScalarField.default_error_messages,
        "invalid": "Must be a string, a number, true/false, null or a list of strings.",
        "list": "A list holds at most 100 strings of at most 1000 characters.",
    }

    def to_internal_value(self, data):
        if isinstance(data, list):
            if len(data) > 100 or not all(isinstance(item, str) and len(item) <= 1000 for item in data):
                self.fail("list")
            return data
        return super().to_internal_value(data)


class ChatStartSerializer(serializers.Serializer):
    variables = serializers.DictField(
        child=ScalarField(max_length=1000, allow_null=True),
        required=False,
        default=dict,
        help_text="Prefill declared variables (others are ignored).",
    )

    def validate_variables(self, value):
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 variables.")
        return value


class ChatReplySerializer(serializers.Serializer):
    value = AnswerField(allow_null=True, help_text="The answer; a list for a multiple choice.")
    node_id = serializers.RegexField(GRAPH_ID, required=False, help_text="The input this answers (refused if stale).")


_PROTOTYPES: dict[type, serializers.Serializer] = {}


def validated(serializer_class: type[serializers.Serializer], data) -> dict:
    """`serializer_class(data=data)`'s validated data, or its ValidationError (the same 400 body).

    Building a serializer deep-copies its fields, which on the chat path costs more than the
    validation itself; the fields are built once per process here instead. Validation keeps no
    state on the serializer, so one instance serves every request and thread."""
    prototype = _PROTOTYPES.get(serializer_class)
    if prototype is None:
        prototype = _PROTOTYPES[serializer_class] = serializer_class()
    return prototype.run_validation(data)


class ChatTurnMessageSerializer(serializers.Serializer):
    id = serializers.CharField()
    node_id = serializers.CharField()
    type = serializers.CharField(help_text="text, image, video, audio or embed")
    text = serializers.CharField(required=False, help_text="Text messages.")
    url = serializers.CharField(required=False, help_text="Media messages.")


class ChatInputSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    type = serializers.CharField()
    options = serializers.DictField()
    choices = serializers.ListField(child=serializers.DictField(), required=False)


class ChatTurnSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField(help_text="active, completed, failed or expired")
    messages = ChatTurnMessageSerializer(many=True)
    input = ChatInputSerializer(allow_null=True)
    actions = serializers.ListField(child=serializers.DictField())


class TranscriptEntrySerializer(serializers.Serializer):
    id = serializers.CharField()
    sender = serializers.ChoiceField(choices=["bot", "user"])
    type = serializers.CharField()
    text = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    node_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class ChatSessionReadSerializer(ChatTurnSerializer):
    transcript = TranscriptEntrySerializer(many=True)


class ChatUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ChatUploadResultSerializer(serializers.Serializer):
    upload_id = serializers.CharField(help_text="Reply with this as the value of the file_upload input.")
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


# --- CONTRACT §4: results and analytics ------------------------------------------------------


class ResultRowSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    answers = serializers.DictField()


class AnalyticsInputSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    reached = serializers.IntegerField()
    answered = serializers.IntegerField()
    dropped = serializers.IntegerField()


class AnalyticsSerializer(serializers.Serializer):
    starts = serializers.IntegerField()
    completions = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    inputs = AnalyticsInputSerializer(many=True)


class DateRangeSerializer(serializers.Serializer):
    """Query parameters shared by results, analytics and session lists."""

    started_after = serializers.DateTimeField(required=False)
    started_before = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=["active", "completed", "failed", "expired"], required=False)

    def to_internal_value(self, data):
        # A query string's empty value would read as "not given"; it is not a date.
        empty = {
            name: ["Give a date-time, or leave the parameter out."] for name in self.fields if data.get(name) == ""
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)

    def validate(self, attrs):
        after, before = attrs.get("started_after"), attrs.get("started_before")
        if after and before and after > before:
            raise serializers.ValidationError({"started_before": "Must be after started_after."})
        return attrs
