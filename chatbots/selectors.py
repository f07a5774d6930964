"""Reads of chatbots and their versions: scoped to their owner, or the published bot a visitor names."""

from django.db.models import Count, QuerySet

from authentication.models import User
from chatbots.exceptions import ChatbotNotPublished
from chatbots.models import Chatbot, ChatbotVersion


def chatbots_owned(*, user: User) -> QuerySet[Chatbot]:
    return Chatbot.objects.filter(owner=user)


def chatbots_owned_listed(*, user: User) -> QuerySet[Chatbot]:
    """The user's chatbots as the API lists them: with their live version and how many flows
    each has (`flow_count`)."""
    return chatbots_owned(user=user).select_related("live_version").annotate(flow_count=Count("flows", distinct=True))


def chatbot_get_owned(*, user: User, pk: int | str) -> Chatbot | None:
    """The user's chatbot `pk` (no annotations), or None when it is not theirs or does not exist."""
    return chatbots_owned(user=user).filter(pk=pk).first()


def chatbot_versions_owned(*, user: User, chatbot_id: int | str) -> QuerySet[ChatbotVersion]:
    """Published versions of the user's chatbot `chatbot_id` (none when it is not theirs)."""
    return ChatbotVersion.objects.filter(chatbot_id=chatbot_id, chatbot__owner=user).select_related("created_by")


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
