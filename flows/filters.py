import django_filters

from config.filters import BooleanFilter, FilterSet
from flows.models import FlowExecution, FlowTemplate


class FlowExecutionFilter(FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    session = django_filters.UUIDFilter(field_name="session_id")
    is_preview = BooleanFilter(field_name="session__is_preview")

    class Meta:
        model = FlowExecution
        fields = ["status", "started_after", "started_before", "session", "is_preview"]


class FlowTemplateFilter(FilterSet):
    tag = django_filters.CharFilter(method="filter_tag", max_length=40, help_text="Only templates with this tag.")

    class Meta:
        model = FlowTemplate
        fields = ["category", "is_public", "tag"]

    def filter_tag(self, queryset, name, value):
        # Tags are [a-z0-9-] (checked on write), so the quoted form matches one whole tag.
        return queryset.filter(tags__icontains=f'"{value.lower()}"')
