from django.db.models import Q, QuerySet

from flows.models import FlowTemplate


def flow_templates_usable(user) -> QuerySet[FlowTemplate]:
    """The templates `user` may read and start a flow from: the catalog's (public, no owner),
    those others share (public) and the user's own (private or shared)."""
    return FlowTemplate.objects.filter(Q(is_public=True) | Q(owner=user))


def flow_templates_owned(user) -> QuerySet[FlowTemplate]:
    """The templates `user` may change or delete: their own only."""
    return FlowTemplate.objects.filter(owner=user)
