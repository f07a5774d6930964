import functools

from django.http import FileResponse, StreamingHttpResponse

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chatbots.selectors import chatbots_owned
from components import services as builder
from config.contract import (
    AnalyticsSerializer,
    ChatStartSerializer,
    ChatTurnSerializer,
    DateRangeSerializer,
    ResultRowSerializer,
)
from config.renderers import CSVRenderer
from config.schema import ERR_409, ERR_429_USER, OWNER_ERRORS, PUBLISH_400
from config.throttling import UserScopedRateThrottle
from config.viewsets import OwnedQuerysetMixin, OwnedReadOnlyViewSet
from executions import selectors, services
from executions.filters import ChatSessionFilter
from executions.models import ChatSession
from executions.serializers import (
    ChatMessageSerializer,
    ChatSessionDetailSerializer,
    ChatSessionSerializer,
    DashboardSerializer,
    ExecutionLogSerializer,
    SessionStatsSerializer,
    UserInputSerializer,
)
from executions.transcripts import messages_mark_read


@extend_schema_view(
    list=extend_schema(summary="Chat sessions of your chatbots, with how many visitor messages you have not read"),
    retrieve=extend_schema(
        summary="One session, with the flows it ran", responses={200: ChatSessionDetailSerializer, **OWNER_ERRORS}
    ),
)
class ChatSessionViewSet(OwnedReadOnlyViewSet):
    selector = staticmethod(selectors.sessions_owned)
    action_selectors = {
        "retrieve": selectors.sessions_owned_with_flows,
        "finish": selectors.sessions_owned_with_flows,
    }
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["started_at", "last_activity_at", "message_count", "duration"]
    ordering = ["-started_at"]

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
        page = self.paginate_queryset(selectors.session_transcript(session))
        return self.get_paginated_response(ChatMessageSerializer(page, many=True).data)

    @extend_schema(summary="Figures over the (filtered) sessions", responses={200: SessionStatsSerializer})
    @action(detail=False)
    def stats(self, request):
        sessions = self.filter_queryset(self.get_queryset()).order_by()
        return Response(selectors.sessions_stats(sessions))


class SessionChildViewSet(OwnedReadOnlyViewSet):
    lookup_value_regex = "[0-9]{1,18}"


@extend_schema_view(
    list=extend_schema(summary="Messages of your sessions"), retrieve=extend_schema(summary="One message")
)
class ChatMessageViewSet(SessionChildViewSet):
    selector = staticmethod(selectors.messages_owned)
    serializer_class = ChatMessageSerializer
    filterset_fields = ["session", "sender", "type"]
    ordering_fields = ["created_at", "seq"]
    ordering = ["session", "seq"]


@extend_schema_view(
    list=extend_schema(summary="Runner logs of your sessions"), retrieve=extend_schema(summary="One log entry")
)
class ExecutionLogViewSet(SessionChildViewSet):
    selector = staticmethod(selectors.logs_owned)
    serializer_class = ExecutionLogSerializer
    filterset_fields = ["session", "level", "node_id", "node_type"]
    search_fields = ["message"]
    ordering = ["-created_at"]


@extend_schema_view(
    list=extend_schema(summary="Answers given in your sessions"), retrieve=extend_schema(summary="One answer")
)
class UserInputViewSet(SessionChildViewSet):
    selector = staticmethod(selectors.inputs_owned)
    serializer_class = UserInputSerializer
    filterset_fields = ["session", "node_id", "variable", "is_valid"]
    ordering = ["-created_at"]


class UploadDownloadView(APIView):
    @extend_schema(
        summary="Download a file a visitor uploaded (as an attachment)",
        responses={(200, "application/octet-stream"): bytes, **OWNER_ERRORS},
    )
    def get(self, request, pk: int):
        record = selectors.upload_get_owned(user=request.user, pk=pk)
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


class DashboardView(APIView):
    @extend_schema(
        summary="Your totals across all chatbots", responses={200: DashboardSerializer, 401: OWNER_ERRORS[401]}
    )
    def get(self, request):
        return Response(selectors.owner_dashboard(request.user), status=status.HTTP_200_OK)


# --- A chatbot's preview, results and analytics: actions on /api/chatbots/{id}/ ---------------


# Actions on one of your chatbots that run it or read its chats. Registered on the chatbots router
# from executions/urls.py (as flows registers its routes), so chatbots imports nothing of executions.
# (A comment, not a docstring: the schema would show a docstring as each operation's description.)
@extend_schema(tags=["chatbots"])
class ChatbotRuntimeViewSet(OwnedQuerysetMixin, viewsets.GenericViewSet):
    selector = staticmethod(chatbots_owned)
    filter_backends = []
    serializer_class = ChatStartSerializer  # what OPTIONS describes: the preview's body

    def dispatch(self, request, *args, **kwargs):
        if self.action_map.get(request.method.lower()) != "preview":
            return super().dispatch(request, *args, **kwargs)
        return services.respond_logged("preview", functools.partial(super().dispatch, request, *args, **kwargs))

    def handle_exception(self, exc):
        services.turn_note(error=type(exc).__name__)
        return super().handle_exception(exc)

    def _date_range(self, request) -> dict:
        params = DateRangeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data

    @extend_schema(
        summary="Run the current draft as a preview session (kept out of results and analytics)",
        request=ChatStartSerializer,
        responses={201: ChatTurnSerializer, 400: PUBLISH_400, 429: ERR_429_USER, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"], throttle_classes=[UserScopedRateThrottle], throttle_scope="preview")
    def preview(self, request, pk=None):
        chatbot = self.get_object()
        serializer = ChatStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        snapshot = builder.chatbot_compile(chatbot)
        turn = services.session_preview(chatbot, snapshot=snapshot, variables=serializer.validated_data["variables"])
        return Response(turn, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="One row per session (previews excluded); ?format=csv streams a CSV",
        parameters=[
            OpenApiParameter("started_after", OpenApiTypes.DATETIME),
            OpenApiParameter("started_before", OpenApiTypes.DATETIME),
            OpenApiParameter("status", str, enum=["active", "completed", "failed", "expired"]),
        ],
        responses={200: ResultRowSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR, **OWNER_ERRORS},
    )
    @action(detail=True, renderer_classes=[JSONRenderer, CSVRenderer])
    def results(self, request, pk=None):
        chatbot = self.get_object()
        sessions = selectors.results_sessions(chatbot, **self._date_range(request))
        if request.accepted_renderer.format == "csv":
            response = StreamingHttpResponse(selectors.results_csv(chatbot, sessions), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="results-{chatbot.pk}.csv"'
            return response
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response([selectors.result_row(s) for s in page])

    @extend_schema(
        summary="Starts, completions and per-input drop-off (previews excluded)",
        parameters=[
            OpenApiParameter("started_after", OpenApiTypes.DATETIME),
            OpenApiParameter("started_before", OpenApiTypes.DATETIME),
        ],
        responses={200: AnalyticsSerializer, **OWNER_ERRORS},
    )
    @action(detail=True)
    def analytics(self, request, pk=None):
        chatbot = self.get_object()
        dates = self._date_range(request)
        dates.pop("status", None)
        return Response(selectors.chatbot_analytics(chatbot, **dates))
