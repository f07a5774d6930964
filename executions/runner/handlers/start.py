from executions.runner.registry import register
from executions.runner.turn import NEXT, Node, Outcome, Turn


@register("start")
class Start:
    def execute(self, node: Node, turn: Turn) -> Outcome:
        return NEXT
