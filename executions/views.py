from django.http import FileResponse

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import ERR_409, OWNER_ERRORS
from config.viewsets import OwnedReadOnlyViewSet
from executions import selectors, services
from executions.filters import ChatSessionFilter
from executions.models import ChatMessage, ChatSession, ChatUpload, ExecutionLog, UserInput, WebhookEvent
from executions.serializers import (
    ChatMessageSerializer,
    ChatSessionDetailSerializer,
    ChatSessionSerializer,
    DashboardSerializer,
    ExecutionLogSerializer,
    SessionStatsSerializer,
    UserInputSerializer,
    WebhookDeliverySerializer,
)
from executions.transcripts import messages_mark_read
from executions.webhooks import delivery_retry


@extend_schema_view(
    list=extend_schema(summary="Chat sessions of your chatbots, with how many visitor messages you have not read"),
    retrieve=extend_schema(
        summary="One session, with the flows it ran", responses={200: ChatSessionDetailSerializer, **OWNER_ERRORS}
    ),
)
class ChatSessionViewSet(OwnedReadOnlyViewSet):
    queryset = ChatSession.objects.select_related("chatbot", "version").defer("preview_snapshot", "state")
    owner_field = "chatbot__owner"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["started_at", "last_activity_at", "message_count", "duration"]
    ordering = ["-started_at"]

    def get_queryset(self):
        sessions = selectors.sessions_with_unread(super().get_queryset())
        if self.action in ("retrieve", "finish"):
            sessions = sessions.prefetch_related("flow_executions")
        return sessions

    def get_serializer_class(self):
        return ChatSessionDetailSerializer if self.action == "retrieve" else ChatSessionSerializer

    def _detail(self, session: ChatSession) -> Response:
        return Response(ChatSessionDetailSerializer(self.get_queryset().get(pk=session.pk)).data)

    @extend_schema(
        summary="Close an active session (counts as completed: its flows finish, session.completed is sent)",
        request=None,
        responses={200: ChatSessionDetailSerializer, 409: ERR_409, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        return self._detail(services.session_finish(self.get_object()))

    @extend_schema(
        summary="The session's transcript, oldest first; reading it marks the visitor's messages read",
        responses={200: ChatMessageSerializer(many=True), **OWNER_ERRORS},
    )
    @action(detail=True, filter_backends=[])
    def transcript(self, request, pk=None):
        session = self.get_object()
        messages_mark_read(session)
        page = self.paginate_queryset(ChatMessage.objects.filter(session=session).order_by("seq"))
        return self.get_paginated_response(ChatMessageSerializer(page, many=True).data)

    @extend_schema(summary="Figures over the (filtered) sessions", responses={200: SessionStatsSerializer})
    @action(detail=False)
    def stats(self, request):
        sessions = self.filter_queryset(self.get_queryset()).order_by()
        return Response(selectors.sessions_stats(sessions))


class SessionChildViewSet(OwnedReadOnlyViewSet):
    owner_field = "session__chatbot__owner"
    lookup_value_regex = "[0-9]{1,18}"


@extend_schema_view(
    list=extend_schema(summary="Messages of your sessions"), retrieve=extend_schema(summary="One message")
)
class ChatMessageViewSet(SessionChildViewSet):
    queryset = ChatMessage.objects.all()
    serializer_class = ChatMessageSerializer
    filterset_fields = ["session", "sender", "type"]
    ordering_fields = ["created_at", "seq"]
    ordering = ["session", "seq"]


@extend_schema_view(
    list=extend_schema(summary="Runner logs of your sessions"), retrieve=extend_schema(summary="One log entry")
)
class ExecutionLogViewSet(SessionChildViewSet):
    queryset = ExecutionLog.objects.all()
    serializer_class = ExecutionLogSerializer
    filterset_fields = ["session", "level", "node_id", "node_type"]
    search_fields = ["message"]
    ordering = ["-created_at"]


@extend_schema_view(
    list=extend_schema(summary="Answers given in your sessions"), retrieve=extend_schema(summary="One answer")
)
class UserInputViewSet(SessionChildViewSet):
    queryset = UserInput.objects.all()
    serializer_class = UserInputSerializer
    filterset_fields = ["session", "node_id", "variable", "is_valid"]
    ordering = ["-created_at"]


class UploadDownloadView(APIView):
    @extend_schema(
        summary="Download a file a visitor uploaded (as an attachment)",
        responses={(200, "application/octet-stream"): bytes, **OWNER_ERRORS},
    )
    def get(self, request, pk: int):
        record = ChatUpload.objects.filter(pk=pk, session__chatbot__owner=request.user).first()
        if record is None:
            raise NotFound()
        try:
            handle = record.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The file is no longer stored.") from None
        response = FileResponse(handle, as_attachment=True, filename=record.name)
        response["Content-Type"] = "application/octet-stream"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


@extend_schema_view(
    list=extend_schema(summary="Webhook deliveries of your chatbots, with status and attempts"),
    retrieve=extend_schema(summary="One delivery", responses={200: WebhookDeliverySerializer, **OWNER_ERRORS}),
)
class WebhookDeliveryViewSet(OwnedReadOnlyViewSet):
    queryset = WebhookEvent.objects.select_related("webhook", "integration")
    owner_field = "chatbot__owner"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["status", "event_type", "chatbot", "webhook", "integration"]
    ordering_fields = ["created_at", "next_attempt_at", "attempts"]
    ordering = ["-created_at"]

    @extend_schema(
        summary="Re-queue a delivery now (a dead one starts its retries over)",
        request=None,
        responses={200: WebhookDeliverySerializer, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        delivery = delivery_retry(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)


class DashboardView(APIView):
    @extend_schema(
        summary="Your totals across all chatbots", responses={200: DashboardSerializer, 401: OWNER_ERRORS[401]}
    )
    def get(self, request):
        return Response(selectors.owner_dashboard(request.user), status=status.HTTP_200_OK)
