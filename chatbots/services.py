from django.core.exceptions import ValidationError
from django.db import transaction

from chatbots.models import Chatbot
from chatbots.options import options_clean


@transaction.atomic
def chatbot_update(
    chatbot: Chatbot,
    *,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    appearance: dict | None = None,
    behavior: dict | None = None,
) -> Chatbot:
    """Partial update. `appearance`/`behavior` merge into the stored settings. Setting the
    status to published needs a published version (publish it first)."""
    if name is not None:
        chatbot.name = name
    if description is not None:
        chatbot.description = description
    if appearance is not None:
        chatbot.appearance = options_clean("appearance", appearance, current=chatbot.appearance)
    if behavior is not None:
        chatbot.behavior = options_clean("behavior", behavior, current=chatbot.behavior)
    if status is not None:
        if status == Chatbot.Status.PUBLISHED and chatbot.live_version_id is None:
            raise ValidationError({"status": "This chatbot has never been published; use the publish action."})
        chatbot.status = status
    chatbot.full_clean()
    chatbot.save()
    return chatbot
