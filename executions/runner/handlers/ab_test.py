from executions.runner.inputs import to_number
from executions.runner.registry import register
from executions.runner.turn import Node, Outcome, Turn


@register("ab_test")
class AbTest:
    """`percent_a` percent of visitors take `a`, the rest `b` (drawn from the context's rng)."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        percent_a = to_number(node.get("percent_a", 50))
        percent_a = 50 if percent_a is None else max(0, min(100, percent_a))
        handle = "a" if turn.context.rng.random() * 100 < percent_a else "b"
        turn.debug(node, f"Took {handle!r}.", branch=handle)
        return Outcome(handle=handle)
