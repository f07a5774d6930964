from executions.runner.registry import register
from executions.runner.turn import Node, Outcome, Turn


@register("flow_link")
class FlowLink:
    """Run another flow from its start. With `return_after` the engine pushes a frame so the
    conversation continues at this node's `next` when that flow ends."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        flow = node.get("flow")
        if flow is None or flow == "":
            return Outcome(handle=None, error="The flow link names no flow.")
        return_after = bool(node.get("return_after", True))
        turn.debug(node, f"Entering flow {flow}.", flow=str(flow), return_after=return_after)
        return Outcome(handle=None, flow=str(flow), return_after=return_after)
