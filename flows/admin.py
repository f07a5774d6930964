from django.contrib import admin

from chatbots.admin import ChatbotAdmin
from chatbots.models import Chatbot
from config.admin import ReadOnlyAdmin, timestamps
from flows.models import Flow, FlowExecution, FlowTemplate


class FlowInline(admin.TabularInline):
    model = Flow
    extra = 0
    fields = ["name", "is_main", "description", "updated_at"]
    # Which flow is main moves with the chatbot's main_flow: the API's make-main does both.
    readonly_fields = ["is_main", "updated_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # a flow starts with its start node: create flows through the API


admin.site.unregister(Chatbot)


@admin.register(Chatbot)
class ChatbotWithFlowsAdmin(ChatbotAdmin):
    inlines = [FlowInline, *ChatbotAdmin.inlines]


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "chatbot", "is_main", "updated_at"]
    list_filter = ["is_main", "created_at", "updated_at"]
    search_fields = ["name", "description", "chatbot__name"]
    raw_id_fields = ["chatbot"]
    list_select_related = ["chatbot"]
    # The graph (and the variables it declares) is edited node by node, or through the API.
    readonly_fields = ["chatbot", "is_main", "variables", "created_at", "updated_at"]
    fieldsets = [
        ("Identity", {"fields": ["chatbot", "name", "description"]}),
        ("Configuration", {"fields": ["settings", "variables"]}),
        ("State", {"fields": ["is_main"]}),
        timestamps("created_at", "updated_at"),
    ]

    def has_add_permission(self, request):
        return False  # a flow starts with its start node: create flows through the API


@admin.register(FlowTemplate)
class FlowTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_public", "owner", "updated_at"]
    list_filter = ["category", "is_public", "created_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["owner"]
    fieldsets = [
        ("Identity", {"fields": ["name", "description", "category", "tags", "owner"]}),
        ("Configuration", {"fields": ["is_public", "graph"]}),
        timestamps("created_at", "updated_at"),
    ]


@admin.register(FlowExecution)
class FlowExecutionAdmin(ReadOnlyAdmin):
    list_display = ["flow_name", "flow_key", "session", "status", "started_at", "ended_at"]
    list_filter = ["status", "started_at"]
    search_fields = ["flow_name", "session__id"]
    list_select_related = ["session"]
    fieldsets = [
        ("Identity", {"fields": ["session", "flow_key", "flow_name"]}),
        ("State", {"fields": ["status"]}),
        timestamps("started_at", "ended_at"),
    ]
