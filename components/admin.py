"""The draft graph in the admin. Nodes and edges are written through the same services as the
API (so the same checks hold and the variable index stays in sync); the catalog and the
variable index are read-only (the catalog is code, the index is derived from the graph)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from components import services
from components.catalog import COMPONENT_TYPES
from components.exceptions import GraphValidationError
from components.models import (
    ComponentCategory,
    ComponentConnection,
    ComponentInstance,
    ComponentTemplate,
    ComponentVariable,
)
from config.admin import ReadOnlyAdmin, ReadOnlyInline, add_graph_errors, add_service_errors, timestamps
from config.contract import GRAPH_ID
from flows.admin import FlowAdmin, FlowTemplateAdmin
from flows.models import Flow, FlowTemplate


class InstanceInline(ReadOnlyInline):
    """Shown here, changed on the node's own page (where it is validated)."""

    model = ComponentInstance
    fields = ["node_id", "type", "label", "position_x", "position_y", "config"]
    readonly_fields = fields


class ConnectionInline(ReadOnlyInline):
    model = ComponentConnection
    fields = ["edge_id", "source", "source_handle", "target"]
    readonly_fields = fields


class TemplateInline(ReadOnlyInline):
    model = ComponentTemplate
    fields = ["type", "label", "blocking", "order"]
    readonly_fields = fields
    show_change_link = False


admin.site.unregister(Flow)


@admin.register(Flow)
class FlowWithGraphAdmin(FlowAdmin):
    inlines = [InstanceInline, ConnectionInline]


class FlowTemplateForm(forms.ModelForm):
    class Meta:
        model = FlowTemplate
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose and order them)

    def clean_graph(self):
        graph = self.cleaned_data.get("graph")
        if not isinstance(graph, dict):
            raise ValidationError("A graph: {'nodes': [...], 'edges': [...], 'variables': [...]}.")
        try:
            return services.template_graph_check(graph)
        except GraphValidationError as exc:
            add_graph_errors(self, exc.detail, own=("", ""), fields={})
        except ValidationError as exc:
            add_service_errors(self, exc, fallback="graph")
        except (KeyError, TypeError, AttributeError):
            raise ValidationError("Each node needs an id and a type; each edge an id, a source and a target.") from None
        return graph


admin.site.unregister(FlowTemplate)


@admin.register(FlowTemplate)
class CheckedFlowTemplateAdmin(FlowTemplateAdmin):
    form = FlowTemplateForm


@admin.register(ComponentCategory)
class ComponentCategoryAdmin(ReadOnlyAdmin):
    """The catalog is code (components/catalog.py); its rows are re-synced on every migrate."""

    list_display = ["slug", "name", "order"]
    search_fields = ["slug", "name"]
    fieldsets = [("Identity", {"fields": ["slug", "name"]}), ("Display", {"fields": ["description", "icon", "order"]})]
    inlines = [TemplateInline]


@admin.register(ComponentTemplate)
class ComponentTemplateAdmin(ReadOnlyAdmin):
    """The catalog is code (components/catalog.py); its rows are re-synced on every migrate."""

    list_display = ["type", "category", "label", "blocking", "order"]
    list_filter = ["category", "blocking"]
    search_fields = ["type", "label", "description"]
    fieldsets = [
        ("Identity", {"fields": ["type", "category", "label"]}),
        ("Configuration", {"fields": ["config_schema", "outputs", "blocking"]}),
        ("Display", {"fields": ["description", "icon", "order"]}),
    ]


class NodeForm(forms.ModelForm):
    node_id = forms.RegexField(GRAPH_ID, max_length=100, help_text="Letters, digits and _ . : - (at most 100).")
    type = forms.ChoiceField(choices=[(name, name) for name in COMPONENT_TYPES])

    class Meta:
        model = ComponentInstance
        fields = ["flow", "node_id", "type", "label", "position_x", "position_y", "config"]

    def graph_node(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data.get("node_id", self.instance.node_id),
            "type": data["type"],
            "label": data.get("label") or "",
            "position": {"x": data.get("position_x") or 0, "y": data.get("position_y") or 0},
            "data": data.get("config") if data.get("config") is not None else {},
        }

    def clean(self):
        cleaned = super().clean()
        flow = cleaned.get("flow") or getattr(self.instance, "flow", None)
        if self.errors or flow is None:
            return cleaned
        node = self.graph_node()
        if not self.instance.pk and ComponentInstance.objects.filter(flow=flow, node_id=node["id"]).exists():
            self.add_error("node_id", "A node with this id is already in the flow.")
            return cleaned
        try:
            draft = services.graph_change_check(flow, lambda draft: services.node_put(draft, node))
        except GraphValidationError as exc:
            fields = {"id": "node_id", "type": "type", "data": "config", "label": "label", "position": "position_x"}
            add_graph_errors(self, exc.detail, own=("nodes", node["id"]), fields=fields)
            return cleaned
        cleaned["config"] = next(n for n in draft.nodes if n["id"] == node["id"])["data"]
        return cleaned


@admin.register(ComponentInstance)
class ComponentInstanceAdmin(admin.ModelAdmin):
    """Nodes are checked as the API checks them (known type, config valid against the type's
    schema, edges still on existing handles) and saved through the graph services."""

    form = NodeForm
    list_display = ["node_id", "type", "flow", "updated_at"]
    list_filter = ["type", "updated_at"]
    search_fields = ["node_id", "label", "flow__name", "flow__chatbot__name"]
    raw_id_fields = ["flow"]
    list_select_related = ["flow"]
    fieldsets = [
        ("Identity", {"fields": ["flow", "node_id", "type", "label"]}),
        ("Configuration", {"fields": ["config", "position_x", "position_y"]}),
        timestamps("created_at", "updated_at"),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Another id or flow is another node: create that one instead.
        return ["created_at", "updated_at", *(["flow", "node_id"] if obj else [])]

    def save_model(self, request, obj, form, change):
        services.node_save(obj.flow, node=form.graph_node())
        saved = ComponentInstance.objects.get(flow=obj.flow, node_id=obj.node_id)
        obj.pk, obj.config, obj.created_at, obj.updated_at = saved.pk, saved.config, saved.created_at, saved.updated_at

    def delete_model(self, request, obj):
        services.node_delete(obj.flow, node_id=obj.node_id)

    def delete_queryset(self, request, queryset):
        by_flow: dict[Flow, list[str]] = {}
        for node in queryset.select_related("flow"):
            by_flow.setdefault(node.flow, []).append(node.node_id)
        for flow, node_ids in by_flow.items():
            services.nodes_bulk(flow, create=[], update=[], delete=node_ids)


class EdgeForm(forms.ModelForm):
    edge_id = forms.RegexField(GRAPH_ID, max_length=100)

    class Meta:
        model = ComponentConnection
        fields = ["flow", "edge_id", "source", "source_handle", "target"]

    def graph_edge(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data.get("edge_id", self.instance.edge_id),
            "source": data["source"].node_id,
            "source_handle": data["source_handle"],
            "target": data["target"].node_id,
        }

    def clean(self):
        cleaned = super().clean()
        flow = cleaned.get("flow") or getattr(self.instance, "flow", None)
        if self.errors or flow is None:
            return cleaned
        for end in ("source", "target"):
            if cleaned[end].flow_id != flow.pk:
                self.add_error(end, "This node belongs to another flow.")
        if self.errors:
            return cleaned
        edge = self.graph_edge()
        if not self.instance.pk and ComponentConnection.objects.filter(flow=flow, edge_id=edge["id"]).exists():
            self.add_error("edge_id", "An edge with this id is already in the flow.")
            return cleaned
        try:
            services.graph_change_check(flow, lambda draft: services.edge_put(draft, edge))
        except GraphValidationError as exc:
            fields = {"id": "edge_id", "source": "source", "source_handle": "source_handle", "target": "target"}
            add_graph_errors(self, exc.detail, own=("edges", edge["id"]), fields=fields)
        return cleaned


@admin.register(ComponentConnection)
class ComponentConnectionAdmin(admin.ModelAdmin):
    """Edges are checked as the API checks them (existing nodes of the flow, a handle the source
    has, one edge per handle) and saved through the graph services."""

    form = EdgeForm
    list_display = ["edge_id", "source", "source_handle", "target", "flow"]
    search_fields = ["edge_id", "flow__name"]
    raw_id_fields = ["flow", "source", "target"]
    list_select_related = ["flow", "source", "target"]
    fieldsets = [
        ("Identity", {"fields": ["flow", "edge_id"]}),
        ("Configuration", {"fields": ["source", "source_handle", "target"]}),
        timestamps("created_at"),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["created_at", *(["flow", "edge_id"] if obj else [])]

    def save_model(self, request, obj, form, change):
        services.edge_save(obj.flow, edge=form.graph_edge())
        saved = ComponentConnection.objects.get(flow=obj.flow, edge_id=obj.edge_id)
        obj.pk, obj.created_at = saved.pk, saved.created_at

    def delete_model(self, request, obj):
        services.edge_delete(obj.flow, edge_id=obj.edge_id)

    def delete_queryset(self, request, queryset):
        for edge in queryset.select_related("flow"):
            services.edge_delete(edge.flow, edge_id=edge.edge_id)


@admin.register(ComponentVariable)
class ComponentVariableAdmin(ReadOnlyAdmin):
    """The index of where each variable is used, rebuilt by every graph write: declare and
    change variables through the API (or the graph)."""

    list_display = ["name", "flow", "declared"]
    list_filter = ["declared"]
    search_fields = ["name", "flow__name"]
    list_select_related = ["flow"]
    fieldsets = [
        ("Identity", {"fields": ["flow", "name"]}),
        ("Configuration", {"fields": ["declared", "default"]}),
        ("State", {"fields": ["read_by", "written_by"]}),
    ]
