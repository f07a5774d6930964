from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chatbots.models import Chatbot, ChatbotVersion
from chatbots.options import APPEARANCE_SCHEMA, BEHAVIOR_SCHEMA
from config.contract import GraphSerializer


# The settings are validated by chatbots.options against these JSON Schemas; the API schema
# shows the same ones, so the builder sees every key, its type, bounds and default.
@extend_schema_field(APPEARANCE_SCHEMA)
class AppearanceField(serializers.DictField):
    pass


@extend_schema_field(BEHAVIOR_SCHEMA)
class BehaviorField(serializers.DictField):
    pass


def _behavior_input_schema() -> dict:
    """What a request may send: origins are normalised (lower case, no trailing slash) and
    counted once, so a list with repeats is accepted; the stored list has none."""
    origins = {
        key: value for key, value in BEHAVIOR_SCHEMA["properties"]["allowed_origins"].items() if key != "uniqueItems"
    }
    origins["description"] = "Sites allowed to embed the chat; repeats (after normalising) count once."
    return {**BEHAVIOR_SCHEMA, "properties": {**BEHAVIOR_SCHEMA["properties"], "allowed_origins": origins}}


@extend_schema_field(_behavior_input_schema())
class BehaviorInputField(serializers.DictField):
    pass


class LiveVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatbotVersion
        fields = ["number", "created_at"]


class ChatbotSerializer(serializers.ModelSerializer):
    live_version = LiveVersionSerializer(read_only=True, allow_null=True, help_text="null until first published")
    appearance = AppearanceField(read_only=True)
    behavior = BehaviorField(read_only=True)
    flow_count = serializers.IntegerField(read_only=True, default=None)
    chat_start_url = serializers.SerializerMethodField()

    class Meta:
        model = Chatbot
        fields = [
            "id",
            "name",
            "description",
            "public_id",
            "status",
            "appearance",
            "behavior",
            "main_flow",
            "live_version",
            "flow_count",
            "chat_start_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_chat_start_url(self, obj: Chatbot) -> str:
        path = f"/api/flows/public/{obj.public_id}/start/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ChatbotCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    appearance = AppearanceField(required=False, help_text="Keys to change; the others keep their values.")
    behavior = BehaviorInputField(required=False, help_text="Keys to change; the others keep their values.")


class ChatbotUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Chatbot.Status.choices, required=False)
    appearance = AppearanceField(required=False, help_text="Keys to change; the others keep their values.")
    behavior = BehaviorInputField(required=False, help_text="Keys to change; the others keep their values.")


class PublishSerializer(serializers.Serializer):
    changelog = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CloneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)


class ChatbotVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_live = serializers.SerializerMethodField()

    class Meta:
        model = ChatbotVersion
        fields = ["id", "number", "changelog", "restored_from", "created_by", "created_at", "is_live"]
        read_only_fields = fields

    def get_is_live(self, obj: ChatbotVersion) -> bool:
        live = self.context.get("live_version_id")
        if live is None:
            live = obj.chatbot.live_version_id
        return obj.pk == live


class ChatbotVersionDetailSerializer(ChatbotVersionSerializer):
    class Meta(ChatbotVersionSerializer.Meta):
        fields = [*ChatbotVersionSerializer.Meta.fields, "snapshot"]
        read_only_fields = fields


class EmbedSnippetsListSerializer(serializers.Serializer):
    bubble = serializers.CharField(help_text="A chat launcher in a corner of every page: one script tag.")
    popup = serializers.CharField(help_text="A dialog opened by elements with data-chatbot-open, or Chatbot.open().")
    standard = serializers.CharField(help_text="The chat inside a container of your page.")
    iframe = serializers.CharField(help_text="The hosted chat page in an iframe.")
    link = serializers.URLField(help_text="The hosted chat page, to share.")


class EmbedSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    published = serializers.BooleanField(help_text="Only a published chatbot chats; the snippets work once it is.")
    script_url = serializers.URLField()
    chat_url = serializers.URLField()
    snippets = EmbedSnippetsListSerializer()


# --- Import and export (documentation shapes: the importers in components build the bodies) ---


class ImportWarningSerializer(serializers.Serializer):
    block_id = serializers.CharField(allow_null=True, help_text="The source block, or null for the whole file.")
    type = serializers.CharField(allow_null=True, help_text="The source block's type.")
    message = serializers.CharField()


class LeftOutBlockSerializer(serializers.Serializer):
    block_id = serializers.CharField()
    type = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["typebot", "chatbot-builder"], help_text="The file's format.")
    source_version = serializers.CharField(help_text='Typebot\'s "6"/"6.1", or our format version.')
    warnings = ImportWarningSerializer(many=True, help_text="What changed or was lost on the way.")
    renamed_variables = serializers.DictField(
        child=serializers.CharField(), help_text="Variable names that are not valid here → the names they got."
    )
    left_out = LeftOutBlockSerializer(many=True, help_text="Blocks with no counterpart (each has a warning too).")


class ChatbotImportSerializer(ChatbotSerializer):
    import_report = ImportReportSerializer(read_only=True)

    class Meta(ChatbotSerializer.Meta):
        fields = [*ChatbotSerializer.Meta.fields, "import_report"]
        read_only_fields = fields


class ChatbotImportFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The export file (JSON): Typebot's, or one of ours.")


class ExportedChatbotSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    appearance = AppearanceField()
    behavior = BehaviorInputField()


class ExportedFlowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text='The flow\'s key in the file ("f1"); flow_link nodes name flows by it.')
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    is_main = serializers.BooleanField()
    settings = serializers.DictField()
    graph = GraphSerializer()


class ChatbotExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["chatbot-builder"])
    format_version = serializers.IntegerField(help_text="1; a newer server reads older versions.")
    exported_at = serializers.DateTimeField(required=False)
    chatbot = ExportedChatbotSerializer()
    flows = ExportedFlowSerializer(many=True)


class TypebotExportSerializer(serializers.Serializer):
    """The parts of Typebot's export the import reads (anything else in the file is ignored).
    Groups, edges and variables must have their shape; the other parts are read where they have
    theirs (an object, a text) and ignored otherwise, as exports differ between Typebot versions."""

    version = serializers.ChoiceField(choices=["6", "6.1"])
    id = serializers.JSONField(required=False, help_text="Typebot links to this id (or `current`) stay in the bot.")
    name = serializers.JSONField(required=False, help_text="The bot's name, when it is text.")
    events = serializers.JSONField(required=False, help_text="A list holding the start event and its edge.")
    groups = serializers.ListField(child=serializers.DictField(), help_text="{id, title, graphCoordinates, blocks}")
    edges = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="{id, from, to: {groupId, blockId?}}; missing: none."
    )
    variables = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="{id, name, value?}; missing: none."
    )
    settings = serializers.JSONField(required=False, help_text="Read when it is an object (typing, metadata).")
    theme = serializers.JSONField(required=False, help_text="Read when it is an object (colours, fonts).")
