from executions.runner.registry import register
from executions.runner.turn import Node, Outcome, Turn


@register("jump")
class Jump:
    """Continue at `target`, a node of the same flow (the engine checks it exists)."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        target = node.get("target", "")
        if not target:
            return Outcome(handle=None, error="The jump has no target.")
        turn.debug(node, f"Jumping to {target!r}.", target=target)
        return Outcome(handle=None, goto=str(target))
