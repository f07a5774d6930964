from executions.runner.registry import register
from executions.runner.turn import NEXT, Node, Outcome, Turn


@register("message")
class Message:
    """A text bubble; a text that renders empty (only unset variables) sends nothing."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        text = turn.render(node.get("text", ""))
        if text.strip():
            turn.say_text(node, text)
        return NEXT
