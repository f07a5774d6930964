from django.contrib import admin

from chatbots.admin import ChatbotAdmin
from chatbots.models import Chatbot
from flows.models import Flow, FlowExecution, FlowTemplate


class FlowInline(admin.TabularInline):
    model = Flow
    extra = 0
    fields = ["name", "is_main", "description", "updated_at"]
    readonly_fields = ["updated_at"]
    show_change_link = True


admin.site.unregister(Chatbot)


@admin.register(Chatbot)
class ChatbotWithFlowsAdmin(ChatbotAdmin):
    inlines = [FlowInline, *ChatbotAdmin.inlines]


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "chatbot", "is_main", "updated_at"]
    list_filter = ["is_main", "created_at", "updated_at"]
    search_fields = ["name", "description", "chatbot__name"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["chatbot"]
    list_select_related = ["chatbot"]


@admin.register(FlowTemplate)
class FlowTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_public", "owner", "updated_at"]
    list_filter = ["category", "is_public", "created_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["owner"]


@admin.register(FlowExecution)
class FlowExecutionAdmin(admin.ModelAdmin):
    list_display = ["flow_name", "flow_key", "session", "status", "started_at", "ended_at"]
    list_filter = ["status", "started_at"]
    search_fields = ["flow_name", "session__id"]
    raw_id_fields = ["session"]
    readonly_fields = ["started_at", "ended_at"]
