import django_filters

from config.filters import BooleanFilter, FilterSet
from flows.models import FlowExecution


class FlowExecutionFilter(FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    session = django_filters.UUIDFilter(field_name="session_id")
    is_preview = BooleanFilter(field_name="session__is_preview")

    class Meta:
        model = FlowExecution
        fields = ["status", "started_after", "started_before", "session", "is_preview"]
