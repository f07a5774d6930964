from django.conf import settings
from django.urls import reverse

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response

# Upward calls (a view may call a higher app's service): the builder operations that touch the draft graph live in
# components; the URLs live here.
from chatbots import selectors, services
from chatbots.models import Chatbot
from chatbots.serializers import (
    ChatbotCreateSerializer,
    ChatbotExportSerializer,
    ChatbotImportFileSerializer,
    ChatbotImportSerializer,
    ChatbotSerializer,
    ChatbotUpdateSerializer,
    ChatbotVersionDetailSerializer,
    ChatbotVersionSerializer,
    CloneSerializer,
    EmbedSerializer,
    PublishSerializer,
    TypebotExportSerializer,
)
from components import services as builder
from components.importers import native as chatbot_files
from components.importers import services as importers
from config.exceptions import PayloadTooLarge
from config.parsers import SafeJSONParser, SafeMultiPartParser, json_safe_loads
from config.schema import DETAIL, ERR_400, OWNER_ERRORS, PUBLISH_400, WRITE_ERRORS
from config.viewsets import OwnedModelViewSet, OwnedReadOnlyViewSet

IMPORT_DOCUMENT = PolymorphicProxySerializer(
    component_name="ChatbotImportDocument",
    serializers=[TypebotExportSerializer, ChatbotExportSerializer],
    resource_type_field_name=None,
)
ERR_413 = OpenApiResponse(DETAIL, description="The file is larger than CHATBOT_IMPORT_MAX_BYTES.")


@extend_schema_view(
    list=extend_schema(summary="Your chatbots", responses={200: ChatbotSerializer(many=True), **OWNER_ERRORS}),
    retrieve=extend_schema(summary="One of your chatbots", responses={200: ChatbotSerializer, **OWNER_ERRORS}),
    destroy=extend_schema(
        summary="Delete a chatbot with its flows, versions and sessions", responses={204: None, **OWNER_ERRORS}
    ),
)
class ChatbotViewSet(OwnedModelViewSet):
    selector = staticmethod(selectors.chatbots_owned_listed)
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
        responses={201: ChatbotVersionSerializer, 400: PUBLISH_400, **OWNER_ERRORS},
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

    @extend_schema(
        summary="Ready-to-paste snippets to put the chatbot on a site (script tag, iframe, link)",
        responses={200: EmbedSerializer, **OWNER_ERRORS},
    )
    @action(detail=True)
    def embed(self, request, pk=None):
        chatbot = self.get_object()
        snippets = services.chatbot_embed_snippets(
            chatbot,
            # The unhashed name: pasted on other sites, it must not change with each deployment.
            script_url=request.build_absolute_uri(f"{settings.STATIC_URL}chat/widget.js"),
            chat_url=request.build_absolute_uri(reverse("chat-page", args=[chatbot.public_id])),
        )
        return Response(snippets)

    # --- Files: import (Typebot exports and ours) and export ----------------------------------

    def _import_document(self, request):
        limit = settings.CHATBOT_IMPORT_MAX_BYTES
        too_large = PayloadTooLarge(f"The file is larger than {limit} bytes.")
        if request.content_type.startswith("multipart/form-data"):
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError({"file": "Send the export file as `file` (or the JSON itself as the body)."})
            if upload.size > limit:
                raise too_large
            try:
                return json_safe_loads(upload.read())
            except ParseError as exc:
                raise ValidationError({"file": str(exc.detail)}) from exc
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            raise too_large
        return request.data

    @extend_schema(
        summary="Import a chatbot as a new draft: a Typebot export (version 6 or 6.1) or one of our exports",
        description=(
            "The export as the JSON body, or as a multipart `file`. Creates a draft chatbot (nothing is "
            "created when the file is refused) and answers with it and an `import_report`: what was renamed, "
            "changed or left out. Typebot blocks map to our components as the README's table says."
        ),
        request={"application/json": IMPORT_DOCUMENT, "multipart/form-data": ChatbotImportFileSerializer},
        responses={201: ChatbotImportSerializer, 400: ERR_400, 401: OWNER_ERRORS[401], 413: ERR_413},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[SafeJSONParser, SafeMultiPartParser])
    def import_file(self, request):
        chatbot, report = importers.chatbot_import(request.user, document=self._import_document(request))
        chatbot = self.get_queryset().get(pk=chatbot.pk)
        body = ChatbotSerializer(chatbot, context=self.get_serializer_context()).data
        return Response({**body, "import_report": report}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The chatbot and every flow's draft graph as one versioned JSON document (our import format)",
        responses={200: ChatbotExportSerializer, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        chatbot = self.get_object()
        response = Response(chatbot_files.chatbot_export(chatbot))
        response["Content-Disposition"] = f'attachment; filename="chatbot-{chatbot.pk}.json"'
        return response


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
    selector = staticmethod(selectors.chatbot_versions_owned)
    selector_kwargs = {"chatbot_pk": "chatbot_id"}
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
        chatbot = self.get_parent(selectors.chatbot_get_owned, "chatbot_pk")
        context["live_version_id"] = chatbot.live_version_id
        return context

    def list(self, request, *args, **kwargs):
        self.get_parent(selectors.chatbot_get_owned, "chatbot_pk")
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
