import django_filters

from config.filters import FilterSet
from executions.models import ChatSession


class ChatSessionFilter(FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = ChatSession
        fields = ["chatbot", "status", "is_preview", "started_after", "started_before"]
