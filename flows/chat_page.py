"""The hosted chat page, `/chat/<public_id>/`: a link to share, or an iframe to embed.

The page is the widget in `standard` mode filling the window. Its Content-Security-Policy
lets only this server's own script run (no inline code, no HTML sinks: Trusted Types are
required and no policy may be made), talk only to this server, and show the media and
embeds a bot's messages point at. Framing follows the bot's allowed embed origins.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from chatbots.exceptions import ChatbotNotPublished
from chatbots.options import options_defaults
from chatbots.selectors import chatbot_published_get

MEDIA_SOURCES = "'self' https: http:"


def chat_page_csp(allowed_origins: list[str]) -> str:
    ancestors = " ".join(["'self'", *allowed_origins]) if allowed_origins else "*"
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self'",
        "img-src": MEDIA_SOURCES,
        "media-src": MEDIA_SOURCES,
        "frame-src": "https: http:",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": ancestors,
        "require-trusted-types-for": "'script'",
        "trusted-types": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@require_safe
@xframe_options_exempt  # framing is ruled by the CSP's frame-ancestors instead
def chat_page(request, public_id: str):
    try:
        chatbot = chatbot_published_get(public_id)
    except ChatbotNotPublished as exc:
        raise Http404(str(exc)) from None
    appearance = {**options_defaults("appearance"), **(chatbot.appearance or {})}
    behavior = {**options_defaults("behavior"), **(chatbot.behavior or {})}
    context = {
        "public_id": chatbot.public_id,
        "title": appearance["title"] or chatbot.name,
        "welcome_text": appearance["welcome_text"],
        "theme_color": appearance["primary_color"],
    }
    response = render(request, "flows/chat_page.html", context)
    response["Content-Security-Policy"] = chat_page_csp(behavior["allowed_origins"])
    return response
