from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from config.schema import ERR_400, ERR_429_USER, OWNER_ERRORS, WRITE_ERRORS
from config.throttling import UserScopedRateThrottle
from config.viewsets import OwnedModelViewSet, OwnedReadOnlyViewSet
from integrations import selectors, services
from integrations.serializers import (
    ApiConnectionSerializer,
    BulkActionSerializer,
    BulkResultSerializer,
    IntegrationLogSerializer,
    IntegrationSerializer,
    IntegrationTemplateSerializer,
    SecretSerializer,
    TestApiSerializer,
    TestResultSerializer,
    TestWebhookSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)

WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]
# The `test/` actions send a request out: counted per account, together.
TEST_THROTTLE = {"throttle_classes": [UserScopedRateThrottle], "throttle_scope": "test"}


@extend_schema_view(
    list=extend_schema(summary="Your API connections (secrets masked)"),
    retrieve=extend_schema(summary="One API connection", responses={200: ApiConnectionSerializer, **OWNER_ERRORS}),
    create=extend_schema(summary="Add an API connection", responses={201: ApiConnectionSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(
        summary="Change an API connection (omit `secret` to keep it)",
        responses={200: ApiConnectionSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(summary="Delete an API connection", responses={204: None, **OWNER_ERRORS}),
)
class ApiConnectionViewSet(OwnedModelViewSet):
    selector = staticmethod(selectors.api_connections_owned)
    serializer_class = ApiConnectionSerializer
    http_method_names = WRITE_METHODS
    search_fields = ["name", "base_url"]
    filterset_fields = ["auth_type"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.api_connection_create(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.api_connection_update(serializer.instance, **serializer.validated_data)

    @extend_schema(
        summary="Send one GET to the base URL through the guard",
        request=None,
        responses={200: TestResultSerializer, 429: ERR_429_USER, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"], **TEST_THROTTLE)
    def test(self, request, pk=None):
        connection = self.get_object()
        result = services.api_test(
            request.user, method="GET", url="", headers={}, query={}, body="", connection=connection
        )
        return Response(result)


@extend_schema_view(
    list=extend_schema(summary="Your webhooks (event subscriptions)"),
    retrieve=extend_schema(summary="One webhook", responses={200: WebhookSerializer, **OWNER_ERRORS}),
    partial_update=extend_schema(summary="Change a webhook", responses={200: WebhookSerializer, **WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete a webhook", responses={204: None, **OWNER_ERRORS}),
)
class WebhookViewSet(OwnedModelViewSet):
    selector = staticmethod(selectors.webhooks_owned)
    serializer_class = WebhookSerializer
    http_method_names = WRITE_METHODS
    filterset_fields = ["chatbot", "is_active"]
    search_fields = ["name", "url"]
    ordering = ["-created_at"]

    @extend_schema(
        summary="Add a webhook; the signing secret is returned this once",
        responses={201: WebhookCreatedSerializer, **WRITE_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook, secret = services.webhook_create(request.user, **serializer.validated_data)
        body = {**WebhookSerializer(webhook, context=self.get_serializer_context()).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(serializer.instance, **serializer.validated_data)

    @extend_schema(
        summary="Replace the signing secret; the new one is returned this once",
        request=None,
        responses={200: SecretSerializer, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        return Response({"secret": services.webhook_rotate_secret(self.get_object())})

    @extend_schema(
        summary="Send a signed sample event now",
        request=None,
        responses={200: TestResultSerializer, 429: ERR_429_USER, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"], **TEST_THROTTLE)
    def test(self, request, pk=None):
        return Response(services.webhook_test(self.get_object()))


@extend_schema_view(
    list=extend_schema(summary="Integration presets (Slack, Zapier, REST API, Google Sheets)"),
    retrieve=extend_schema(summary="One preset"),
)
class IntegrationTemplateViewSet(ReadOnlyModelViewSet):
    queryset = selectors.integration_templates()
    serializer_class = IntegrationTemplateSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


@extend_schema_view(
    list=extend_schema(summary="Your integrations"),
    retrieve=extend_schema(summary="One integration", responses={200: IntegrationSerializer, **OWNER_ERRORS}),
    create=extend_schema(
        summary="Add an integration from a preset", responses={201: IntegrationSerializer, **WRITE_ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change an integration", responses={200: IntegrationSerializer, **WRITE_ERRORS}
    ),
    destroy=extend_schema(summary="Delete an integration", responses={204: None, **OWNER_ERRORS}),
)
class IntegrationViewSet(OwnedModelViewSet):
    selector = staticmethod(selectors.integrations_owned)
    serializer_class = IntegrationSerializer
    http_method_names = WRITE_METHODS
    filterset_fields = ["chatbot", "is_active", "template__slug"]
    search_fields = ["name"]
    ordering = ["name"]

    def perform_create(self, serializer):
        serializer.instance = services.integration_create(self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "template" in data and data["template"] != serializer.instance.template:
            raise ValidationError({"template": "The preset of an integration cannot change; create another."})
        data.pop("template", None)
        serializer.instance = services.integration_update(serializer.instance, **data)

    @extend_schema(
        summary="Send a sample event now",
        request=None,
        responses={200: TestResultSerializer, 429: ERR_429_USER, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post"], **TEST_THROTTLE)
    def test(self, request, pk=None):
        return Response(services.integration_test(self.get_object()))

    @extend_schema(
        summary="Activate, deactivate or delete several integrations",
        request=BulkActionSerializer,
        responses={200: BulkResultSerializer, 400: ERR_400},
    )
    @action(detail=False, methods=["post"], url_path="bulk_action")
    def bulk_action(self, request):
        serializer = BulkActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        affected = services.integrations_bulk_action(request.user, **serializer.validated_data)
        return Response({"action": serializer.validated_data["action"], "affected": affected})


LEGACY_NOTE = "Deprecated alias of the same operation under `/api/integrations/`; removed in the next release."


@extend_schema_view(
    **{
        name: extend_schema(deprecated=True, description=LEGACY_NOTE)
        for name in ("list", "retrieve", "create", "partial_update", "destroy", "test", "bulk_action")
    }
)
class LegacyIntegrationViewSet(IntegrationViewSet):
    """`/api/integrations/integrations/`: where the collection used to be."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Deprecation"] = "true"
        response["Link"] = '</api/integrations/>; rel="successor-version"'
        return response


@extend_schema_view(
    list=extend_schema(summary="Outbound attempts: deliveries and tests"), retrieve=extend_schema(summary="One attempt")
)
class IntegrationLogViewSet(OwnedReadOnlyViewSet):
    selector = staticmethod(selectors.integration_logs_owned)
    serializer_class = IntegrationLogSerializer
    filterset_fields = ["kind", "webhook", "integration", "success"]
    ordering = ["-created_at"]


class TestWebhookView(APIView):
    throttle_classes = [UserScopedRateThrottle]
    throttle_scope = "test_webhook"

    @extend_schema(
        summary="Send a signed sample event to a URL (through the guard)",
        request=TestWebhookSerializer,
        responses={200: TestResultSerializer, 400: ERR_400, 429: ERR_429_USER},
    )
    def post(self, request):
        serializer = TestWebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(
            services.webhook_test_send(request.user, url=data["url"], secret=data["secret"], event_type=data["event"])
        )


class TestApiView(APIView):
    throttle_classes = [UserScopedRateThrottle]
    throttle_scope = "test_api"

    @extend_schema(
        summary="Make one request through the guard; returns status, headers, a body excerpt",
        request=TestApiSerializer,
        responses={200: TestResultSerializer, 400: ERR_400, 429: ERR_429_USER},
    )
    def post(self, request):
        serializer = TestApiSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        connection = None
        if "connection" in data:
            connection = selectors.api_connection_get_owned(user=request.user, pk=data.pop("connection"))
            if connection is None:
                raise ValidationError({"connection": "No such API connection."})
        elif not data["url"]:
            raise ValidationError({"url": "Give a URL (or a connection)."})
        return Response(services.api_test(request.user, connection=connection, **data))


@extend_schema_view(
    list=extend_schema(summary="Webhook deliveries of your chatbots, with status and attempts"),
    retrieve=extend_schema(summary="One delivery", responses={200: WebhookDeliverySerializer, **OWNER_ERRORS}),
)
class WebhookDeliveryViewSet(OwnedReadOnlyViewSet):
    selector = staticmethod(selectors.webhook_deliveries_owned)
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
        delivery = services.delivery_retry(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)
