from django.db import transaction

from chatbots.models import Chatbot
from flows.exceptions import MainFlowDeletionError
from flows.models import Flow


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
