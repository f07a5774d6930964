from django.contrib import admin

from components.models import (
    ComponentCategory,
    ComponentConnection,
    ComponentInstance,
    ComponentTemplate,
    ComponentVariable,
)
from flows.admin import FlowAdmin
from flows.models import Flow


class InstanceInline(admin.TabularInline):
    model = ComponentInstance
    extra = 0
    fields = ["node_id", "type", "label", "position_x", "position_y", "config"]
    show_change_link = True


class ConnectionInline(admin.TabularInline):
    model = ComponentConnection
    extra = 0
    fields = ["edge_id", "source", "source_handle", "target"]
    raw_id_fields = ["source", "target"]


class TemplateInline(admin.TabularInline):
    model = ComponentTemplate
    extra = 0
    fields = ["type", "label", "blocking", "order"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


admin.site.unregister(Flow)


@admin.register(Flow)
class FlowWithGraphAdmin(FlowAdmin):
    inlines = [InstanceInline, ConnectionInline]


@admin.register(ComponentCategory)
class ComponentCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "order"]
    search_fields = ["slug", "name"]
    inlines = [TemplateInline]


@admin.register(ComponentTemplate)
class ComponentTemplateAdmin(admin.ModelAdmin):
    """The catalog is code (components/catalog.py); rows are re-synced on every migrate."""

    list_display = ["type", "category", "label", "blocking", "order"]
    list_filter = ["category", "blocking"]
    search_fields = ["type", "label", "description"]
    readonly_fields = ["type", "category", "config_schema", "outputs", "blocking"]


@admin.register(ComponentInstance)
class ComponentInstanceAdmin(admin.ModelAdmin):
    list_display = ["node_id", "type", "flow", "updated_at"]
    list_filter = ["type", "updated_at"]
    search_fields = ["node_id", "label", "flow__name", "flow__chatbot__name"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["flow"]
    list_select_related = ["flow"]


@admin.register(ComponentConnection)
class ComponentConnectionAdmin(admin.ModelAdmin):
    list_display = ["edge_id", "source", "source_handle", "target", "flow"]
    search_fields = ["edge_id", "flow__name"]
    raw_id_fields = ["flow", "source", "target"]
    readonly_fields = ["created_at"]
    list_select_related = ["flow", "source", "target"]


@admin.register(ComponentVariable)
class ComponentVariableAdmin(admin.ModelAdmin):
    list_display = ["name", "flow", "declared"]
    list_filter = ["declared"]
    search_fields = ["name", "flow__name"]
    readonly_fields = ["read_by", "written_by"]
    raw_id_fields = ["flow"]
