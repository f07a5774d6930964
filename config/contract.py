"""Serializers of the shapes every client relies on (docs/); apps share them from here
rather than importing each other's serializers."""

import math

from drf_spectacular.utils import (
    OpenApiExample,
    PolymorphicProxySerializer,
    extend_schema_field,
    extend_schema_serializer,
)
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


GRAPH_EXAMPLE = {
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
        {"id": "hello", "type": "message", "position": {"x": 250, "y": 0}, "data": {"text": "Hi! 👋"}},
        {
            "id": "ask_name",
            "type": "text_input",
            "position": {"x": 500, "y": 0},
            "data": {"prompt": "What's your name?", "variable": "name", "max_length": 100},
        },
        {
            "id": "ask_plan",
            "type": "choice",
            "position": {"x": 750, "y": 0},
            "data": {
                "prompt": "Nice to meet you, {{name}}! Which plan interests you?",
                "variable": "plan",
                "options": [{"id": "basic", "label": "Basic"}, {"id": "pro", "label": "Pro"}],
            },
        },
        {"id": "pro_info", "type": "message", "position": {"x": 1000, "y": -100}, "data": {"text": "Great choice."}},
        {"id": "end", "type": "end", "position": {"x": 1250, "y": 0}, "data": {}},
    ],
    "edges": [
        {"id": "e1", "source": "start", "source_handle": "next", "target": "hello"},
        {"id": "e2", "source": "hello", "source_handle": "next", "target": "ask_name"},
        {"id": "e3", "source": "ask_name", "source_handle": "next", "target": "ask_plan"},
        {"id": "e4", "source": "ask_plan", "source_handle": "pro", "target": "pro_info"},
        {"id": "e5", "source": "ask_plan", "source_handle": "default", "target": "end"},
        {"id": "e6", "source": "pro_info", "source_handle": "next", "target": "end"},
    ],
    "variables": [{"name": "name", "default": None}, {"name": "plan", "default": None}],
}


@extend_schema_serializer(examples=[OpenApiExample("A small lead form", value=GRAPH_EXAMPLE)])
class GraphSerializer(serializers.Serializer):
    """The whole draft graph of a flow (docs/graph.md)."""

    nodes = GraphNodeSerializer(many=True, max_length=10_000)
    edges = GraphEdgeSerializer(many=True, max_length=20_000)
    variables = GraphVariableSerializer(many=True, max_length=500, required=False, default=list)


# --- The public chat API (docs/chat-api.md) ---------------------------------------------------


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


# The Turn: typed for the schema only (the chat views return the runner's dicts as they are).


def _kind(value: str) -> serializers.CharField:
    # An enum of one value, so each variant of a oneOf (bubbles, inputs, actions) is told
    # apart by its type alone (email_input and url_input otherwise have the same shape).
    kind = extend_schema_field({"type": "string", "enum": [value]})(type("Kind", (serializers.CharField,), {}))
    return kind(help_text=f'Always "{value}".')


class _Bubble(serializers.Serializer):
    id = serializers.CharField(help_text="m<position in the conversation>: m1, m2…")
    node_id = serializers.CharField(help_text="The node that said it.")


class TextBubbleSerializer(_Bubble):
    type = _kind("text")
    text = serializers.CharField(help_text="Variables already filled in; may hold markdown.")


class _MediaBubble(_Bubble):
    url = serializers.CharField(help_text="An http(s) URL (variables filled in).")


class ImageBubbleSerializer(_MediaBubble):
    type = _kind("image")
    alt = serializers.CharField(allow_blank=True, help_text="Alternative text; may be empty.")
    link = serializers.CharField(allow_blank=True, help_text="Where a click on the picture leads; may be empty.")


class VideoBubbleSerializer(_MediaBubble):
    type = _kind("video")
    height = serializers.IntegerField(help_text="Player height in pixels.")
    autoplay = serializers.BooleanField()


class AudioBubbleSerializer(_MediaBubble):
    type = _kind("audio")
    autoplay = serializers.BooleanField()


class EmbedBubbleSerializer(_MediaBubble):
    type = _kind("embed")
    height = serializers.IntegerField(help_text="Frame height in pixels.")


BUBBLES = {
    "text": TextBubbleSerializer,
    "image": ImageBubbleSerializer,
    "video": VideoBubbleSerializer,
    "audio": AudioBubbleSerializer,
    "embed": EmbedBubbleSerializer,
}


class _Options(serializers.Serializer):
    placeholder = serializers.CharField(allow_blank=True, help_text="Hint for the empty field (variables filled in).")


class TextInputOptionsSerializer(_Options):
    multiline = serializers.BooleanField()
    min_length = serializers.IntegerField()
    max_length = serializers.IntegerField()


class NumberInputOptionsSerializer(_Options):
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    step = serializers.FloatField(allow_null=True)


class PhoneInputOptionsSerializer(_Options):
    default_country = serializers.CharField(allow_blank=True, help_text="ISO country code (PT, US…) or empty.")


class DateInputOptionsSerializer(serializers.Serializer):
    with_time = serializers.BooleanField()
    range = serializers.BooleanField(help_text="Ask for a start and an end.")
    min = serializers.CharField(allow_blank=True, help_text="Earliest date (YYYY-MM-DD) or empty.")
    max = serializers.CharField(allow_blank=True, help_text="Latest date (YYYY-MM-DD) or empty.")


class RatingOptionsSerializer(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class FileUploadOptionsSerializer(serializers.Serializer):
    allowed_types = serializers.ListField(
        child=serializers.CharField(), help_text="MIME types (image/*) or extensions (.pdf); empty: any."
    )
    max_size_mb = serializers.FloatField()
    required = serializers.BooleanField(help_text="False: the visitor may reply null to skip it.")


class ChoiceOptionsSerializer(serializers.Serializer):
    multiple = serializers.BooleanField(help_text="Several choices may be picked: reply with a list of ids.")


class ChoiceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Reply with it (or the label).")
    label = serializers.CharField()


class PictureChoiceSerializer(ChoiceSerializer):
    image_url = serializers.CharField(allow_blank=True, help_text="An http(s) URL, or empty.")


class _Input(serializers.Serializer):
    node_id = serializers.CharField(help_text="Send it back as the reply's node_id.")


def _input(type_name: str, options, choices=None) -> type[serializers.Serializer]:
    name = "".join(part.capitalize() for part in type_name.split("_"))
    fields = {"type": _kind(type_name), "options": options()}
    if choices is not None:
        fields["choices"] = choices(many=True, help_text="The buttons, in order.")
    return type(f"Pending{name}Serializer", (_Input,), fields)


PENDING_INPUTS = {
    "text_input": _input("text_input", TextInputOptionsSerializer),
    "number_input": _input("number_input", NumberInputOptionsSerializer),
    "email_input": _input("email_input", _Options),
    "phone_input": _input("phone_input", PhoneInputOptionsSerializer),
    "url_input": _input("url_input", _Options),
    "date_input": _input("date_input", DateInputOptionsSerializer),
    "choice": _input("choice", ChoiceOptionsSerializer, choices=ChoiceSerializer),
    "picture_choice": _input("picture_choice", ChoiceOptionsSerializer, choices=PictureChoiceSerializer),
    "rating": _input("rating", RatingOptionsSerializer),
    "file_upload": _input("file_upload", FileUploadOptionsSerializer),
}


class _Action(serializers.Serializer):
    message_index = serializers.IntegerField(
        help_text="How many of this turn's messages come before it: show those, then act."
    )


class WaitActionSerializer(_Action):
    type = _kind("wait")
    seconds = serializers.FloatField(help_text="Pause this long (at most 60) before the next message.")


class RedirectActionSerializer(_Action):
    type = _kind("redirect")
    url = serializers.CharField(help_text="An http(s) URL.")
    new_tab = serializers.BooleanField()


ACTIONS = {"wait": WaitActionSerializer, "redirect": RedirectActionSerializer}

TURN_EXAMPLE = {
    "session_id": "8f0c2a56-1f0e-4d7a-9a43-6e1b1c0f5d2e",
    "status": "active",
    "messages": [
        {"id": "m3", "node_id": "thanks", "type": "text", "text": "Nice to meet you, Ana!"},
        {
            "id": "m4",
            "node_id": "logo",
            "type": "image",
            "url": "https://example.com/logo.png",
            "alt": "Logo",
            "link": "",
        },
        {"id": "m5", "node_id": "ask_plan", "type": "text", "text": "Which plan interests you?"},
    ],
    "input": {
        "node_id": "ask_plan",
        "type": "choice",
        "options": {"multiple": False},
        "choices": [{"id": "basic", "label": "Basic"}, {"id": "pro", "label": "Pro"}],
    },
    "actions": [{"type": "wait", "seconds": 1, "message_index": 2}],
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("A question with buttons", value=TURN_EXAMPLE, response_only=True),
        OpenApiExample(
            "The end, with a redirect",
            value={
                "session_id": "8f0c2a56-1f0e-4d7a-9a43-6e1b1c0f5d2e",
                "status": "completed",
                "messages": [{"id": "m9", "node_id": "bye", "type": "text", "text": "Thanks, Ana. Bye!"}],
                "input": None,
                "actions": [
                    {"type": "redirect", "url": "https://example.com/welcome", "new_tab": False, "message_index": 1}
                ],
            },
            response_only=True,
        ),
    ]
)
class ChatTurnSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    status = serializers.CharField(
        help_text="active (an input is pending), completed, failed (a message says why) or expired"
    )
    messages = PolymorphicProxySerializer(
        component_name="ChatBubble",
        serializers=BUBBLES,
        resource_type_field_name="type",
        many=True,
        help_text="The bot's new messages, in order. An input's prompt comes as a text message just before it.",
    )
    input = PolymorphicProxySerializer(
        component_name="PendingInput",
        serializers=PENDING_INPUTS,
        resource_type_field_name="type",
        allow_null=True,
        help_text="What to ask the visitor now; null when the conversation is over.",
    )
    actions = PolymorphicProxySerializer(
        component_name="ClientAction",
        serializers=ACTIONS,
        resource_type_field_name="type",
        many=True,
        help_text="What the chat client does itself (wait, redirect), each placed among the messages.",
    )


class TranscriptEntrySerializer(serializers.Serializer):
    id = serializers.CharField()
    sender = serializers.ChoiceField(choices=["bot", "user"])
    type = serializers.CharField(help_text="text, image, video, audio or embed (the visitor's are text).")
    text = serializers.CharField(required=False, help_text="Text messages.")
    url = serializers.CharField(required=False, help_text="Media messages, with their options as in the bubbles.")
    alt = serializers.CharField(required=False)
    link = serializers.CharField(required=False)
    height = serializers.IntegerField(required=False)
    autoplay = serializers.BooleanField(required=False)
    node_id = serializers.CharField(help_text="The node that said it, or the input the visitor answered.")
    created_at = serializers.DateTimeField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A reload in the middle of a chat",
            value={
                **TURN_EXAMPLE,
                "messages": [],
                "actions": [],
                "transcript": [
                    {
                        "id": "m1",
                        "sender": "bot",
                        "type": "text",
                        "text": "What's your name?",
                        "node_id": "ask_name",
                        "created_at": "2025-05-04T10:00:00Z",
                    },
                    {
                        "id": "m2",
                        "sender": "user",
                        "type": "text",
                        "text": "Ana",
                        "node_id": "ask_name",
                        "created_at": "2025-05-04T10:00:09Z",
                    },
                    {
                        "id": "m3",
                        "sender": "bot",
                        "type": "text",
                        "text": "Which plan interests you?",
                        "node_id": "ask_plan",
                        "created_at": "2025-05-04T10:00:09Z",
                    },
                ],
            },
            response_only=True,
        )
    ]
)
class ChatSessionReadSerializer(ChatTurnSerializer):
    """A Turn with no new messages or actions, the pending input again, and the transcript."""

    transcript = TranscriptEntrySerializer(many=True, help_text="The whole conversation so far.")


class ChatUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ChatUploadResultSerializer(serializers.Serializer):
    upload_id = serializers.CharField(help_text="Reply with this as the value of the file_upload input.")
    name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()


# --- Results and analytics (docs/chat-api.md) --------------------------------------------------


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


class PublishErrorSerializer(serializers.Serializer):
    """One problem that blocks publishing (or previewing) a chatbot's draft."""

    flow_id = serializers.IntegerField()
    node_id = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()
