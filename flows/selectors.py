"""Reads of flows, flow templates and flow runs, scoped to their owner."""

from django.db.models import Count, Exists, F, Q, QuerySet

from authentication.models import User
from flows.models import Flow, FlowExecution, FlowTemplate


def flows_of_chatbot(*, user: User, chatbot_id: int | str) -> QuerySet[Flow]:
    """The flows of the user's chatbot `chatbot_id` (none when it is not theirs), each with its
    number of nodes."""
    return flows_owned(user=user).filter(chatbot_id=chatbot_id)


def flows_owned(*, user: User) -> QuerySet[Flow]:
    """Every flow of the user's chatbots, each with its number of nodes (`node_count`)."""
    return Flow.objects.filter(chatbot__owner=user).annotate(node_count=Count("nodes"))


def flow_get_owned(*, user: User, pk: int | str, chatbot_id: int | str | None = None) -> Flow | None:
    """The user's flow `pk` (of chatbot `chatbot_id` when given), or None."""
    flows = Flow.objects.filter(pk=pk, chatbot__owner=user)
    if chatbot_id is not None:
        flows = flows.filter(chatbot_id=chatbot_id)
    return flows.first()


def flow_ids_of_chatbot(*, chatbot_id: int) -> set[int]:
    """The ids of a chatbot's flows (what a flow_link may name)."""
    return set(Flow.objects.filter(chatbot_id=chatbot_id).values_list("pk", flat=True))


def flow_templates_usable(*, user: User) -> QuerySet[FlowTemplate]:
    """The templates `user` may read and start a flow from: the catalog's (public, no owner),
    those others share (public) and the user's own (private or shared)."""
    return FlowTemplate.objects.filter(Q(is_public=True) | Q(owner=user))


def flow_templates_catalog_first(*, user: User) -> QuerySet[FlowTemplate]:
    """`flow_templates_usable`, the catalog's first, then by name."""
    return flow_templates_usable(user=user).order_by(F("owner").asc(nulls_first=True), "name", "id")


def flow_template_get_usable(*, user: User, pk: int | str) -> FlowTemplate | None:
    return flow_templates_usable(user=user).filter(pk=pk).first()


def flow_templates_owned(*, user: User) -> QuerySet[FlowTemplate]:
    """The templates `user` may change or delete: their own only."""
    return FlowTemplate.objects.filter(owner=user)


def flow_runs_owned(*, user: User, chatbot_id: int | str, flow_id: int | str) -> QuerySet[FlowExecution]:
    """Runs of the user's flow `flow_id` of chatbot `chatbot_id` in chat sessions (none when the
    flow is not theirs or not that chatbot's)."""
    flow = Flow.objects.filter(pk=flow_id, chatbot_id=chatbot_id, chatbot__owner=user)
    return FlowExecution.objects.select_related("session__version").filter(
        Exists(flow), session__chatbot_id=chatbot_id, session__chatbot__owner=user, flow_key=str(flow_id)
    )
