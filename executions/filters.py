import django_filters

from config.filters import BooleanFilter, FilterSet
from executions.models import ChatSession
from executions.selectors import sessions_unread


class ChatSessionFilter(FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    unread = BooleanFilter(
        method="filter_unread", help_text="true: sessions with visitor messages you have not read; false: the others."
    )

    class Meta:
        model = ChatSession
        fields = ["chatbot", "status", "is_preview", "started_after", "started_before", "unread"]

    def filter_unread(self, queryset, name, value):
        return queryset if value is None else sessions_unread(queryset, value)
