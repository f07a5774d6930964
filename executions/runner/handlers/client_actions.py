"""Wait and redirect: done by the chat client. Each becomes an action whose `message_index`
is the number of this turn's messages that come before it, so the client can play them in
order; the flow goes on at once."""

from executions.runner.handlers.base import is_safe_url
from executions.runner.inputs import to_number
from executions.runner.registry import register
from executions.runner.turn import NEXT, Node, Outcome, Turn

MAX_WAIT_SECONDS = 60


@register("wait")
class Wait:
    def execute(self, node: Node, turn: Turn) -> Outcome:
        seconds = to_number(node.get("seconds", 1))
        seconds = 0 if seconds is None else max(0, min(MAX_WAIT_SECONDS, seconds))
        turn.act({"type": "wait", "seconds": seconds})
        return NEXT


@register("redirect")
class Redirect:
    """Only http(s) URLs are sent: a `javascript:` URL built from a variable must not reach the
    client. An empty or unsafe URL is skipped with a warning."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        url = turn.render(node.get("url", "")).strip()
        if not url:
            turn.warn(node, "The redirect URL is empty (after templating); no redirect.")
        elif not is_safe_url(url):
            turn.warn(node, "The redirect URL is not an http(s) URL; no redirect.", url=url)
        else:
            turn.act({"type": "redirect", "url": url, "new_tab": bool(node.get("new_tab", False))})
        return NEXT
