from rest_framework import serializers

from executions.models import ChatMessage, ChatSession, ExecutionLog, UserInput
from flows.models import FlowExecution


class ChatSessionSerializer(serializers.ModelSerializer):
    version = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="The published version's number; null in a preview.",
    )
    chatbot_name = serializers.CharField(source="chatbot.name", read_only=True)
    unread_count = serializers.IntegerField(
        read_only=True, default=0, help_text="Visitor messages you have not read (reading the transcript reads them)."
    )

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "chatbot",
            "chatbot_name",
            "version",
            "status",
            "is_preview",
            "variables",
            "pending_node_id",
            "user_agent",
            "referrer",
            "started_at",
            "last_activity_at",
            "completed_at",
            "duration",
            "message_count",
            "unread_count",
        ]
        read_only_fields = fields


class SessionFlowRunSerializer(serializers.ModelSerializer):
    flow = serializers.IntegerField(source="flow_id", allow_null=True, help_text="The flow's id.")

    class Meta:
        model = FlowExecution
        fields = ["id", "flow", "flow_name", "status", "started_at", "ended_at"]
        read_only_fields = fields


class ChatSessionDetailSerializer(ChatSessionSerializer):
    flow_executions = SessionFlowRunSerializer(
        many=True, read_only=True, help_text="The flows this session ran, in order (a flow_link adds one)."
    )

    class Meta(ChatSessionSerializer.Meta):
        fields = [*ChatSessionSerializer.Meta.fields, "flow_executions"]
        read_only_fields = fields


class ChatMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatMessage
        fields = ["id", "session", "seq", "sender", "type", "content", "node_id", "created_at", "read_at"]
        read_only_fields = fields


class ExecutionLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExecutionLog
        fields = ["id", "session", "node_id", "node_type", "level", "message", "details", "duration_ms", "created_at"]
        read_only_fields = fields


class UserInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserInput
        fields = [
            "id",
            "session",
            "node_id",
            "node_type",
            "variable",
            "raw_value",
            "parsed_value",
            "is_valid",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class SessionStatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    active = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    expired = serializers.IntegerField()
    messages = serializers.IntegerField()
    average_duration_seconds = serializers.FloatField(allow_null=True)
    average_messages = serializers.FloatField()
    completion_rate = serializers.FloatField()


class BusiestChatbotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sessions_30d = serializers.IntegerField()


class DashboardSessionsSerializer(serializers.Serializer):
    today = serializers.IntegerField()
    last_7_days = serializers.IntegerField()
    last_30_days = serializers.IntegerField()
    total = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    sessions = DashboardSessionsSerializer()
    completion_rate = serializers.FloatField()
    messages = serializers.IntegerField()
    average_duration_seconds = serializers.FloatField(allow_null=True)
    chatbots = serializers.IntegerField()
    busiest_chatbots = BusiestChatbotSerializer(many=True)
