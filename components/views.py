from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from components import selectors, services
from components.catalog import COMPONENT_TYPES, output_handles
from components.graph import config_errors, config_with_defaults
from components.serializers import (
    CategoryBriefSerializer,
    ComponentCategorySerializer,
    ComponentTemplateSerializer,
    ConnectionSerializer,
    ConnectionUpdateSerializer,
    ConnectionWriteSerializer,
    InstanceBulkSerializer,
    InstanceSerializer,
    InstanceUpdateSerializer,
    InstanceWriteSerializer,
    NodeConfigCheckSerializer,
    NodeConfigReportSerializer,
    VariableSerializer,
    VariableUpdateSerializer,
    VariableWriteSerializer,
)
from config.fields import MAX_ID
from config.schema import ERR_400, OWNER_ERRORS, WRITE_ERRORS
from config.viewsets import OwnedModelViewSet
from flows.models import Flow
from flows.selectors import flow_get_owned

FLOW_FILTER = OpenApiParameter(
    "flow", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description="Only this flow's items."
)


# --- The catalog ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Component categories with their types"),
    retrieve=extend_schema(summary="One category with its types"),
)
class ComponentCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.component_categories()
    serializer_class = ComponentCategorySerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


@extend_schema_view(
    list=extend_schema(summary="Component types (the catalog)"),
    retrieve=extend_schema(summary="One component type"),
)
class ComponentTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.component_templates()
    serializer_class = ComponentTemplateSerializer
    lookup_field = "type"
    lookup_value_regex = "[a-z_]{1,40}"
    pagination_class = None
    filterset_fields = ["blocking"]
    search_fields = ["type", "label", "description"]
    ordering = ["order"]

    @extend_schema(summary="Types grouped by category", responses={200: ComponentCategorySerializer(many=True)})
    @action(detail=False, url_path="by_category", filter_backends=[])
    def by_category(self, request):
        return Response(ComponentCategorySerializer(selectors.component_categories(), many=True).data)

    @extend_schema(
        summary="Search types by name or description",
        parameters=[OpenApiParameter("q", str, description="Words to look for.")],
        responses={200: ComponentTemplateSerializer(many=True)},
    )
    @action(detail=False, filter_backends=[])
    def search(self, request):
        query = request.query_params.get("q", "").strip()[:100]
        templates = selectors.component_templates(query=query)
        return Response(ComponentTemplateSerializer(templates, many=True).data)


class ComponentTypesView(APIView):
    @extend_schema(
        summary="Every component type (docs/components.md)", responses={200: ComponentTemplateSerializer(many=True)}
    )
    def get(self, request):
        return Response(ComponentTemplateSerializer(selectors.component_templates(), many=True).data)


class CategoriesListView(APIView):
    @extend_schema(
        summary="Categories with how many types each holds", responses={200: CategoryBriefSerializer(many=True)}
    )
    def get(self, request):
        return Response(CategoryBriefSerializer(selectors.component_categories_counted(), many=True).data)


class ComponentSchemaView(APIView):
    @extend_schema(
        summary="JSON Schema of one type's `data`",
        responses={
            200: inline_serializer(
                "ConfigSchema", fields={"type": serializers.CharField(), "config_schema": serializers.DictField()}
            ),
            404: OWNER_ERRORS[404],
        },
    )
    def get(self, request, type_name: str):
        component = COMPONENT_TYPES.get(type_name)
        if component is None:
            raise NotFound(f"Unknown component type {type_name!r}.")
        return Response({"type": component.type, "config_schema": component.config_schema})


class NodeConfigValidateView(APIView):
    @extend_schema(
        summary="Check one node's config (nothing is saved)",
        request=NodeConfigCheckSerializer,
        responses={200: NodeConfigReportSerializer, 400: ERR_400},
    )
    def post(self, request):
        serializer = NodeConfigCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        type_name, data = serializer.validated_data["type"], serializer.validated_data["data"]
        if type_name not in COMPONENT_TYPES:
            raise ValidationError({"type": f"Unknown component type {type_name!r}."})
        errors = config_errors(type_name, data)
        full = None if errors else config_with_defaults(type_name, data)
        return Response(
            {
                "valid": not errors,
                "node_id": serializer.validated_data.get("node_id"),
                "errors": errors,
                "data": full,
                "outputs": output_handles(type_name, full) if full else [],
            }
        )


# --- The draft graph, item by item ------------------------------------------------------------


class GraphItemViewSet(OwnedModelViewSet):
    """Nodes, edges or variables of the user's flows; writes go through the graph services."""

    filterset_fields = ["flow"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _flow(self, flow_id) -> Flow:
        flow = flow_get_owned(user=self.request.user, pk=flow_id)
        if flow is None:
            raise ValidationError({"flow": "No such flow."})
        return flow

    def _reload(self, **lookup):
        return self.get_queryset().get(**lookup)


@extend_schema_view(
    list=extend_schema(summary="Nodes of your flows", parameters=[FLOW_FILTER]),
    retrieve=extend_schema(summary="One node", responses={200: InstanceSerializer, **OWNER_ERRORS}),
    destroy=extend_schema(summary="Delete a node and its edges", responses={204: None, **OWNER_ERRORS}),
)
class ComponentInstanceViewSet(GraphItemViewSet):
    selector = staticmethod(selectors.nodes_owned)
    serializer_class = InstanceSerializer
    search_fields = ["node_id", "label", "type"]
    ordering_fields = ["id", "node_id", "type"]
    ordering = ["id"]

    @extend_schema(
        summary="Add a node", request=InstanceWriteSerializer, responses={201: InstanceSerializer, **WRITE_ERRORS}
    )
    def create(self, request, *args, **kwargs):
        serializer = InstanceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "flow" not in data:
            raise ValidationError({"flow": "This field is required."})
        flow = self._flow(data.pop("flow"))
        services.node_create(flow, node=data)
        node = self._reload(flow=flow, node_id=data["id"])
        return Response(InstanceSerializer(node).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a node (data merges)",
        request=InstanceUpdateSerializer,
        responses={200: InstanceSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        node = self.get_object()
        serializer = InstanceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.node_update(node.flow, node_id=node.node_id, changes=dict(serializer.validated_data))
        return Response(InstanceSerializer(self._reload(pk=node.pk)).data)

    def perform_destroy(self, instance):
        services.node_delete(instance.flow, node_id=instance.node_id)

    @extend_schema(
        summary="Create, update and delete nodes of one flow in one transaction",
        request=InstanceBulkSerializer,
        responses={200: InstanceSerializer(many=True), **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request):
        serializer = InstanceBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        flow = self._flow(data.pop("flow"))
        services.nodes_bulk(flow, **data)
        return Response(InstanceSerializer(self.get_queryset().filter(flow=flow), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Edges of your flows", parameters=[FLOW_FILTER]),
    retrieve=extend_schema(summary="One edge", responses={200: ConnectionSerializer, **OWNER_ERRORS}),
    destroy=extend_schema(summary="Delete an edge", responses={204: None, **OWNER_ERRORS}),
)
class ComponentConnectionViewSet(GraphItemViewSet):
    selector = staticmethod(selectors.edges_owned)
    serializer_class = ConnectionSerializer
    ordering = ["id"]

    @extend_schema(
        summary="Add an edge", request=ConnectionWriteSerializer, responses={201: ConnectionSerializer, **WRITE_ERRORS}
    )
    def create(self, request, *args, **kwargs):
        serializer = ConnectionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "flow" not in data:
            raise ValidationError({"flow": "This field is required."})
        flow = self._flow(data.pop("flow"))
        edge = {
            "id": data["edge_id"],
            "source": data["source"],
            "source_handle": data["source_handle"],
            "target": data["target"],
        }
        services.edge_create(flow, edge=edge)
        return Response(
            ConnectionSerializer(self._reload(flow=flow, edge_id=edge["id"])).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Re-point an edge",
        request=ConnectionUpdateSerializer,
        responses={200: ConnectionSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        edge = self.get_object()
        serializer = ConnectionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.edge_update(edge.flow, edge_id=edge.edge_id, changes=dict(serializer.validated_data))
        return Response(ConnectionSerializer(self._reload(flow=edge.flow, edge_id=edge.edge_id)).data)

    def perform_destroy(self, instance):
        services.edge_delete(instance.flow, edge_id=instance.edge_id)


@extend_schema_view(
    list=extend_schema(summary="Variables of your flows and where each is used", parameters=[FLOW_FILTER]),
    retrieve=extend_schema(
        summary="One variable and the nodes that read and write it", responses={200: VariableSerializer, **OWNER_ERRORS}
    ),
    destroy=extend_schema(
        summary="Remove a variable's declaration",
        responses={204: None, 400: ERR_400, **OWNER_ERRORS},  # 400: it is used but was never declared
    ),
)
class ComponentVariableViewSet(GraphItemViewSet):
    selector = staticmethod(selectors.variables_owned)
    serializer_class = VariableSerializer
    filterset_fields = ["flow", "declared", "name"]
    search_fields = ["name"]
    ordering = ["name"]

    @extend_schema(
        summary="Declare a variable",
        request=VariableWriteSerializer,
        responses={201: VariableSerializer, **WRITE_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        serializer = VariableWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "flow" not in data:
            raise ValidationError({"flow": "This field is required."})
        flow = self._flow(data.pop("flow"))
        services.variable_declare(flow, **data)
        return Response(
            VariableSerializer(self._reload(flow=flow, name=data["name"])).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a variable's default or name (partial; the id stays)",
        request=VariableUpdateSerializer,
        responses={200: VariableSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        variable = self.get_object()
        serializer = VariableUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not variable.declared:
            raise ValidationError({"name": "This variable is used but not declared; declare it first."})
        name = services.variable_update(variable.flow, name=variable.name, changes=dict(serializer.validated_data))
        return Response(VariableSerializer(self._reload(flow=variable.flow, name=name)).data)

    def perform_destroy(self, instance):
        if not instance.declared:
            raise ValidationError({"name": "This variable is not declared."})
        services.variable_undeclare(instance.flow, name=instance.name)
