from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import escape

from chatbots.exceptions import OriginNotAllowed
from chatbots.models import Chatbot, ChatbotVersion
from chatbots.options import options_clean, options_defaults
from chatbots.selectors import chatbot_published_get


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


# --- Public face: what chat clients and embedding sites see --------------------------------

# Behaviour keys a chat client applies; the others (timeouts, allowed origins, result storage)
# are the server's business and stay private.
PUBLIC_BEHAVIOR = ("typing_delay_ms", "input_placeholder")


def embed_origin_check(allowed: Sequence[str], origin: str | None) -> None:
    """Refuse a page whose origin is not among `allowed` (an empty list allows any).

    `origin` is the embedding page's (the Origin header); None for requests that are not from a
    cross-origin page (server-side clients, the hosted chat page). Raises OriginNotAllowed."""
    if not origin or not allowed:
        return
    origin = origin.rstrip("/")
    if origin not in allowed:
        raise OriginNotAllowed(origin)


def chatbot_public_profile(public_id: str, *, origin: str | None = None) -> dict:
    """What a chat client needs to look and behave as the owner set the bot up, and nothing
    owner-only: name, appearance, the behaviour the client applies, whether uploads are possible.

    Raises ChatbotNotPublished (unknown id, draft or archived) and OriginNotAllowed."""
    chatbot = chatbot_published_get(public_id)
    behavior = {**options_defaults("behavior"), **(chatbot.behavior or {})}
    embed_origin_check(behavior["allowed_origins"], origin)
    return {
        "public_id": chatbot.public_id,
        "name": chatbot.name,
        "appearance": {**options_defaults("appearance"), **(chatbot.appearance or {})},
        "behavior": {key: behavior[key] for key in PUBLIC_BEHAVIOR},
        "uploads": {
            "enabled": _version_takes_files(chatbot.live_version),
            "max_size_mb": settings.CHAT_UPLOAD_MAX_MB,
        },
    }


def _version_takes_files(version: ChatbotVersion) -> bool:
    """Whether the version has a file_upload input. Versions never change, so the answer is
    cached for good (a large snapshot is read once, not on every page view of an embedding site)."""
    key = f"chatbots:version-takes-files:{version.uid}"
    cached = cache.get(key)
    if cached is None:
        snapshot = ChatbotVersion.objects.values_list("snapshot", flat=True).get(pk=version.pk)
        flows = (snapshot or {}).get("flows") or {}
        cached = any(
            isinstance(node, dict) and node.get("type") == "file_upload"
            for flow in flows.values()
            for node in (flow.get("nodes") or {}).values()
        )
        cache.set(key, cached, timeout=None)
    return cached


def chatbot_embed_snippets(chatbot: Chatbot, *, script_url: str, chat_url: str) -> dict:
    """The ready-to-paste ways to put the bot on a site: the widget's script tag in each mode,
    an iframe of the hosted chat page, and the page's link. Attribute values are escaped."""
    bot, script, page = escape(chatbot.public_id), escape(script_url), escape(chat_url)
    title = escape((chatbot.appearance or {}).get("title") or chatbot.name)
    tag = f'<script src="{script}" data-bot="{bot}" data-mode="{{mode}}"{{extra}} async></script>'
    container = f"chatbot-{bot}"
    return {
        "public_id": chatbot.public_id,
        "published": chatbot.status == Chatbot.Status.PUBLISHED and chatbot.live_version_id is not None,
        "script_url": script_url,
        "chat_url": chat_url,
        "snippets": {
            "bubble": tag.format(mode="bubble", extra=""),
            "popup": tag.format(mode="popup", extra="")
            + f'\n<button type="button" data-chatbot-open="{bot}">Chat with us</button>',
            "standard": f'<div id="{container}" style="width: 100%; height: 600px"></div>\n'
            + tag.format(mode="standard", extra=f' data-container="#{container}"'),
            "iframe": f'<iframe src="{page}" title="{title}" style="border: 0; width: 100%; height: 600px" '
            'allow="autoplay; fullscreen; clipboard-write"></iframe>',
            "link": chat_url,
        },
    }
