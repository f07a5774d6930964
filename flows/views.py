from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from chatbots.models import Chatbot
from chatbots.selectors import chatbot_get_owned

# Upward calls (a view may call a higher app's service): the draft graph belongs to components; the URLs live here.
from components import services as builder
from components.graph import GraphDraft, graph_load, graph_save
from components.validation import graph_report
from config.filters import FilterBackend
from config.schema import ERR_400, ERR_409, OWNER_ERRORS, WRITE_ERRORS
from config.viewsets import OwnedModelViewSet, OwnedReadOnlyViewSet
from flows import selectors, services
from flows.filters import FlowExecutionFilter, FlowTemplateFilter
from flows.models import Flow
from flows.serializers import (
    FlowCloneSerializer,
    FlowCreateSerializer,
    FlowExecutionDetailSerializer,
    FlowExecutionSerializer,
    FlowSerializer,
    FlowTemplateSerializer,
    FlowTemplateWriteSerializer,
    FlowUpdateSerializer,
    GraphSerializer,
    TemplateUseSerializer,
    ValidationReportSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Flows of a chatbot", responses={200: FlowSerializer(many=True), **OWNER_ERRORS}),
    retrieve=extend_schema(summary="One flow", responses={200: FlowSerializer, **OWNER_ERRORS}),
)
class FlowViewSet(OwnedModelViewSet):
    selector = staticmethod(selectors.flows_of_chatbot)
    selector_kwargs = {"chatbot_pk": "chatbot_id"}
    action_selectors = {"templates": selectors.flow_templates_catalog_first}
    serializer_class = FlowSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["-is_main", "created_at"]
    filterset_fields = ["is_main"]
    filterset_class = None  # the templates action sets its own

    def _chatbot(self) -> Chatbot:
        return self.get_parent(chatbot_get_owned, "chatbot_pk")

    def list(self, request, *args, **kwargs):
        self._chatbot()
        return super().list(request, *args, **kwargs)

    def _respond(self, flow: Flow, status_code: int = status.HTTP_200_OK) -> Response:
        flow = self.get_queryset().get(pk=flow.pk)
        return Response(FlowSerializer(flow).data, status=status_code)

    @extend_schema(
        summary="Add a flow (empty with a start node, or from a template)",
        request=FlowCreateSerializer,
        responses={201: FlowSerializer, **WRITE_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        chatbot = self._chatbot()
        serializer = FlowCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        template_id = data.pop("template", None)
        if template_id is not None:
            template = selectors.flow_template_get_usable(user=request.user, pk=template_id)
            if template is None:
                raise ValidationError({"template": "No such template."})
            flow = builder.flow_from_template(template, chatbot=chatbot, name=data["name"])
        else:
            flow = builder.flow_create(chatbot, **data)
        return self._respond(flow, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a flow", request=FlowUpdateSerializer, responses={200: FlowSerializer, **WRITE_ERRORS}
    )
    def partial_update(self, request, *args, **kwargs):
        flow = self.get_object()
        serializer = FlowUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.flow_update(flow, **serializer.validated_data)
        return self._respond(flow)

    @extend_schema(
        summary="Update a flow", request=FlowUpdateSerializer, responses={200: FlowSerializer, **WRITE_ERRORS}
    )
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(summary="Delete a flow (not the main one)", responses={204: None, 409: ERR_409, **OWNER_ERRORS})
    def destroy(self, request, *args, **kwargs):
        services.flow_delete(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Check the flow's graph",
        request=None,
        responses={200: ValidationReportSerializer, **OWNER_ERRORS},
    )
    @action(detail=True, methods=["post", "get"])
    def validate(self, request, chatbot_pk=None, pk=None):
        flow = self.get_object()
        flow_ids = selectors.flow_ids_of_chatbot(chatbot_id=flow.chatbot_id)
        return Response(graph_report(graph_load(flow), chatbot_flow_ids=flow_ids))

    @extend_schema(
        summary="Copy a flow within its chatbot",
        request=FlowCloneSerializer,
        responses={201: FlowSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def clone(self, request, chatbot_pk=None, pk=None):
        flow = self.get_object()
        serializer = FlowCloneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(builder.flow_clone(flow, **serializer.validated_data), status.HTTP_201_CREATED)

    @extend_schema(
        summary="Make this the chatbot's main flow", request=None, responses={200: FlowSerializer, **OWNER_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="make-main")
    def make_main(self, request, chatbot_pk=None, pk=None):
        return self._respond(services.flow_make_main(self.get_object()))

    @extend_schema(
        summary="Templates a new flow of this chatbot can start from",
        description=(
            "The catalog's templates, yours (private or shared) and those other users share, catalog first. "
            "Create a flow from one with `POST …/flows/` and `template`."
        ),
        responses={200: FlowTemplateSerializer(many=True), **OWNER_ERRORS},
    )
    @action(
        detail=False,
        filterset_class=FlowTemplateFilter,
        filter_backends=[FilterBackend, SearchFilter],
        search_fields=["name", "description"],
    )
    def templates(self, request, chatbot_pk=None):
        self._chatbot()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(FlowTemplateSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        methods=["GET"],
        summary="The flow's draft graph (docs/graph.md)",
        responses={200: GraphSerializer, **OWNER_ERRORS},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace the whole draft graph atomically",
        request=GraphSerializer,
        responses={200: GraphSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["get", "put"])
    def graph(self, request, chatbot_pk=None, pk=None):
        flow = self.get_object()
        if request.method == "GET":
            return Response(graph_load(flow).as_dict())
        serializer = GraphSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        draft = graph_save(flow, GraphDraft(nodes=data["nodes"], edges=data["edges"], variables=data["variables"]))
        return Response(draft.as_dict())


@extend_schema_view(
    list=extend_schema(
        summary="Flow templates: the public ones and yours",
        responses={200: FlowTemplateSerializer(many=True), 401: OWNER_ERRORS[401]},
    ),
    retrieve=extend_schema(summary="One template", responses={200: FlowTemplateSerializer, **OWNER_ERRORS}),
    destroy=extend_schema(summary="Delete one of your templates", responses={204: None, **OWNER_ERRORS}),
)
class FlowTemplateViewSet(OwnedModelViewSet):
    # Everyone reads and uses the shared templates; only the owner changes or deletes one.
    selector = staticmethod(selectors.flow_templates_owned)
    action_selectors = {
        "list": selectors.flow_templates_usable,
        "retrieve": selectors.flow_templates_usable,
        "use": selectors.flow_templates_usable,
    }
    serializer_class = FlowTemplateSerializer
    filterset_class = FlowTemplateFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "category"]
    ordering = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _graph_from(self, data: dict) -> dict:
        if "flow" in data:
            flow = selectors.flow_get_owned(user=self.request.user, pk=data.pop("flow"))
            if flow is None:
                raise ValidationError({"flow": "No such flow."})
            return builder.template_graph_check(graph_load(flow).as_dict())
        return builder.template_graph_check(data.pop("graph"))

    @extend_schema(
        summary="Save a template of yours (from a graph or one of your flows)",
        request=FlowTemplateWriteSerializer,
        responses={201: FlowTemplateSerializer, 400: ERR_400, 401: OWNER_ERRORS[401]},
    )
    def create(self, request, *args, **kwargs):
        serializer = FlowTemplateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        graph = self._graph_from(data)
        template = services.flow_template_create(owner=request.user, graph=graph, **data)
        return Response(
            FlowTemplateSerializer(template, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Update one of your templates",
        request=FlowTemplateWriteSerializer,
        responses={200: FlowTemplateSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        template = self.get_object()
        serializer = FlowTemplateWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "graph" in data or "flow" in data:
            data["graph"] = self._graph_from(data)
        template = services.flow_template_update(template, **data)
        return Response(FlowTemplateSerializer(template, context={"request": request}).data)

    @extend_schema(
        summary="Create a flow in one of your chatbots from this template",
        request=TemplateUseSerializer,
        responses={201: FlowSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def use(self, request, pk=None):
        template = self.get_object()
        serializer = TemplateUseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chatbot = chatbot_get_owned(user=request.user, pk=serializer.validated_data["chatbot"])
        if chatbot is None:
            raise ValidationError({"chatbot": "No such chatbot."})
        flow = builder.flow_from_template(template, chatbot=chatbot, name=serializer.validated_data.get("name"))
        flow = selectors.flows_owned(user=request.user).get(pk=flow.pk)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Runs of this flow in chat sessions (newest first)",
        responses={200: FlowExecutionSerializer(many=True), **OWNER_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One run of this flow, with its session", responses={200: FlowExecutionDetailSerializer, **OWNER_ERRORS}
    ),
)
class FlowExecutionViewSet(OwnedReadOnlyViewSet):
    """Read-only: the runner records a run each time a session enters the flow (its start for
    the main flow, a flow_link for the others)."""

    selector = staticmethod(selectors.flow_runs_owned)
    selector_kwargs = {"chatbot_pk": "chatbot_id", "flow_pk": "flow_id"}
    filterset_class = FlowExecutionFilter
    ordering_fields = ["started_at", "ended_at"]
    ordering = ["-started_at", "-id"]

    def list(self, request, *args, **kwargs):
        self.get_parent(selectors.flow_get_owned, "flow_pk", chatbot_id=self.kwargs["chatbot_pk"])
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        return FlowExecutionDetailSerializer if self.action == "retrieve" else FlowExecutionSerializer
