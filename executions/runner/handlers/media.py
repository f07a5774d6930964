"""Image, video, audio and embed bubbles: a templated URL plus the type's display options."""

from typing import Any

from executions.runner.handlers.base import is_safe_url, setting
from executions.runner.registry import register
from executions.runner.state import BotMessage
from executions.runner.turn import NEXT, Node, Outcome, Turn


class Media:
    extras: tuple[str, ...] = ()

    def execute(self, node: Node, turn: Turn) -> Outcome:
        url = turn.render(node.get("url", "")).strip()
        if not url:
            turn.warn(node, f"The {node.type} has no URL (after templating); nothing was shown.")
            return NEXT
        if not is_safe_url(url):
            turn.warn(node, f"The {node.type} URL is not an http(s) URL; nothing was shown.", url=url)
            return NEXT
        turn.say(BotMessage(node_id=node.id, type=node.type, url=url, extra=self.display_options(node, turn)))
        return NEXT

    def display_options(self, node: Node, turn: Turn) -> dict[str, Any]:
        return {name: setting(node, name) for name in self.extras}


@register("image")
class Image(Media):
    def display_options(self, node: Node, turn: Turn) -> dict[str, Any]:
        link = turn.render(node.get("link", "")).strip()
        if link and not is_safe_url(link):
            turn.warn(node, "The image link is not an http(s) URL; it was dropped.", link=link)
            link = ""
        return {"alt": turn.render(node.get("alt", "")), "link": link}


@register("video")
class Video(Media):
    extras = ("height", "autoplay")


@register("audio")
class Audio(Media):
    extras = ("autoplay",)


@register("embed")
class Embed(Media):
    extras = ("height",)
