"""Reads of the component catalog (public) and of the draft graph's items (scoped to their owner)."""

from django.db.models import Count, Q, QuerySet

from authentication.models import User
from components.models import (
    ComponentCategory,
    ComponentConnection,
    ComponentInstance,
    ComponentTemplate,
    ComponentVariable,
)

# --- The catalog: the same for everyone -----------------------------------------------------------


def component_categories() -> QuerySet[ComponentCategory]:
    """Every category with its types."""
    return ComponentCategory.objects.prefetch_related("templates")


def component_categories_counted() -> QuerySet[ComponentCategory]:
    """Every category with how many types it holds (`count`)."""
    return ComponentCategory.objects.annotate(count=Count("templates"))


def component_templates(*, query: str = "") -> QuerySet[ComponentTemplate]:
    """Every component type (with its category); with `query`, those whose type, label or
    description contains it."""
    templates = ComponentTemplate.objects.select_related("category")
    if query:
        templates = templates.filter(
            Q(type__icontains=query) | Q(label__icontains=query) | Q(description__icontains=query)
        )
    return templates


# --- The draft graph, item by item ------------------------------------------------------------------


def nodes_owned(*, user: User) -> QuerySet[ComponentInstance]:
    return ComponentInstance.objects.filter(flow__chatbot__owner=user)


def edges_owned(*, user: User) -> QuerySet[ComponentConnection]:
    return ComponentConnection.objects.filter(flow__chatbot__owner=user).select_related("source", "target")


def variables_owned(*, user: User) -> QuerySet[ComponentVariable]:
    return ComponentVariable.objects.filter(flow__chatbot__owner=user)
