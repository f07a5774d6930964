from django.db import transaction

from authentication.models import User
from chatbots.models import Chatbot
from config.unset import UNSET, Unset, changes_apply
from flows.exceptions import MainFlowDeletionError
from flows.models import Flow, FlowTemplate


@transaction.atomic
def flow_update(
    flow: Flow, *, name: str | None = None, description: str | None = None, settings: dict | None = None
) -> Flow:
    if name is not None:
        flow.name = name
    if description is not None:
        flow.description = description
    if settings is not None:
        flow.settings = {**flow.settings, **settings}
    flow.full_clean()
    flow.save()
    return flow


@transaction.atomic
def flow_delete(flow: Flow) -> None:
    """Delete a secondary flow. Raises MainFlowDeletionError for the main flow."""
    if flow.is_main:
        raise MainFlowDeletionError("The main flow of a chatbot cannot be deleted; make another flow main first.")
    flow.delete()


@transaction.atomic
def flow_make_main(flow: Flow) -> Flow:
    """Make `flow` its chatbot's main flow (the one chats start in)."""
    chatbot = Chatbot.objects.select_for_update().get(pk=flow.chatbot_id)
    Flow.objects.filter(chatbot=chatbot, is_main=True).exclude(pk=flow.pk).update(is_main=False)
    flow.is_main = True
    flow.save(update_fields=["is_main", "updated_at"])
    chatbot.main_flow = flow
    chatbot.save(update_fields=["main_flow", "updated_at"])
    return flow


@transaction.atomic
def flow_template_create(
    *,
    owner: User,
    name: str,
    graph: dict,
    description: str = "",
    category: str = FlowTemplate.Category.OTHER,
    tags: list[str] | None = None,
    is_public: bool = False,
) -> FlowTemplate:
    """Save a template of `owner`'s; `graph` is already checked (components' template_graph_check)."""
    template = FlowTemplate(
        owner=owner,
        name=name,
        description=description,
        category=category,
        tags=list(tags or []),
        is_public=is_public,
        graph=graph,
    )
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def flow_template_update(
    template: FlowTemplate,
    *,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    category: str | Unset = UNSET,
    tags: list[str] | Unset = UNSET,
    is_public: bool | Unset = UNSET,
    graph: dict | Unset = UNSET,
) -> FlowTemplate:
    """Change what is given of a template (its owner's); a `graph` is already checked."""
    changes = {"name": name, "description": description, "category": category, "tags": tags, "is_public": is_public}
    changes_apply(template, {**changes, "graph": graph})
    template.full_clean()
    template.save()
    return template
