from django.db.models import Count

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

# Upward calls (STYLE.md §5): the builder operations that touch the draft graph live in
# components; the URLs live here.
from chatbots import services
from chatbots.models import Chatbot, ChatbotVersion
from chatbots.serializers import (
    ChatbotCreateSerializer,
    ChatbotSerializer,
    ChatbotUpdateSerializer,
    ChatbotVersionDetailSerializer,
    ChatbotVersionSerializer,
    CloneSerializer,
    PublishErrorSerializer,
    PublishSerializer,
)
from components import services as builder
from config.schema import ERR_400, OWNER_ERRORS, WRITE_ERRORS
from config.viewsets import OwnedModelViewSet, OwnedReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(summary="Your chatbots", responses={200: ChatbotSerializer(many=True), **OWNER_ERRORS}),
    retrieve=extend_schema(summary="One of your chatbots", responses={200: ChatbotSerializer, **OWNER_ERRORS}),
    destroy=extend_schema(
        summary="Delete a chatbot with its flows, versions and sessions", responses={204: None, **OWNER_ERRORS}
    ),
)
class ChatbotViewSet(OwnedModelViewSet):
    queryset = Chatbot.objects.select_related("live_version").annotate(flow_count=Count("flows", distinct=True))
    serializer_class = ChatbotSerializer
    filterset_fields = ["status"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at", "status"]
    ordering = ["-updated_at"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def _respond(self, chatbot: Chatbot, status_code: int = status.HTTP_200_OK) -> Response:
        chatbot = self.get_queryset().get(pk=chatbot.pk)
        return Response(ChatbotSerializer(chatbot, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        summary="Create a chatbot (with its main flow holding a start node)",
        request=ChatbotCreateSerializer,
        responses={201: ChatbotSerializer, 400: ERR_400, 401: OWNER_ERRORS[401]},
    )
    def create(self, request, *args, **kwargs):
        serializer = ChatbotCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chatbot = builder.chatbot_create(request.user, **serializer.validated_data)
        return self._respond(chatbot, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a chatbot (settings merge into the stored ones)",
        request=ChatbotUpdateSerializer,
        responses={200: ChatbotSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        chatbot = self.get_object()
        serializer = ChatbotUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.chatbot_update(chatbot, **serializer.validated_data)
        return self._respond(chatbot)

    @extend_schema(
        summary="Update a chatbot", request=ChatbotUpdateSerializer, responses={200: ChatbotSerializer, **WRITE_ERRORS}
    )
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary="Validate every flow and publish a new version",
        request=PublishSerializer,
        responses={201: ChatbotVersionSerializer, 400: PublishErrorSerializer(many=True), **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        chatbot = self.get_object()
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = builder.chatbot_publish(chatbot, user=request.user, **serializer.validated_data)
        return Response(ChatbotVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Deep-copy a chatbot as a new draft (no versions, no sessions)",
        request=CloneSerializer,
        responses={201: ChatbotSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        chatbot = self.get_object()
        serializer = CloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clone = builder.chatbot_clone(chatbot, owner=request.user, **serializer.validated_data)
        return self._respond(clone, status.HTTP_201_CREATED)


class RestoreSerializer(PublishSerializer):
    pass


@extend_schema_view(
    list=extend_schema(
        summary="Published versions, newest first", responses={200: ChatbotVersionSerializer(many=True), **OWNER_ERRORS}
    ),
    retrieve=extend_schema(
        summary="One version with its snapshot", responses={200: ChatbotVersionDetailSerializer, **OWNER_ERRORS}
    ),
)
class ChatbotVersionViewSet(OwnedReadOnlyViewSet):
    queryset = ChatbotVersion.objects.select_related("created_by")
    owner_field = "chatbot__owner"
    parent_lookups = {"chatbot_pk": "chatbot_id"}
    serializer_class = ChatbotVersionSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,9}"
    ordering_fields = ["number", "created_at"]
    ordering = ["-number"]
    filter_backends = []

    def get_serializer_class(self):
        return ChatbotVersionDetailSerializer if self.action == "retrieve" else ChatbotVersionSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        chatbot = self.get_parent(Chatbot, "chatbot_pk")
        context["live_version_id"] = chatbot.live_version_id
        return context

    def list(self, request, *args, **kwargs):
        self.get_parent(Chatbot, "chatbot_pk")
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Roll back: publish a new version whose snapshot equals this one's",
        request=RestoreSerializer,
        responses={201: ChatbotVersionSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, chatbot_pk=None, number=None):
        version = self.get_object()
        serializer = RestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = builder.chatbot_restore(
            version.chatbot, number=version.number, user=request.user, **serializer.validated_data
        )
        return Response(ChatbotVersionSerializer(new).data, status=status.HTTP_201_CREATED)
