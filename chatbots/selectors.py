from chatbots.exceptions import ChatbotNotPublished
from chatbots.models import Chatbot


def chatbot_published_get(public_id: str) -> Chatbot:
    """The published chatbot with this public id, with its live version's uid loaded.

    Raises ChatbotNotPublished for an unknown id, a draft or an archived bot."""
    found = (
        Chatbot.objects.filter(public_id=public_id, status=Chatbot.Status.PUBLISHED, live_version__isnull=False)
        .select_related("live_version")
        .only("id", "name", "public_id", "status", "appearance", "behavior", "live_version__uid")
        .order_by()[:1]  # public_id is unique: no ordering to compile
    )
    chatbot = next(iter(found), None)
    if chatbot is None:
        raise ChatbotNotPublished("No published chatbot has this id.")
    return chatbot
