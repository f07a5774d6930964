from executions.runner.registry import register
from executions.runner.turn import END, Node, Outcome, Turn


@register("end")
class End:
    """Ends the whole conversation, also from inside a linked flow."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        return END
