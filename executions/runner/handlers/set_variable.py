"""set_variable: assigns one variable. A failing expression leaves the variable unchanged and
logs a warning; the flow goes on."""

from typing import Any

from executions.runner.expressions import MAX_LIST_LENGTH, MAX_STRING_LENGTH, ExpressionError, evaluate
from executions.runner.registry import register
from executions.runner.turn import NEXT, Node, Outcome, Turn

_UNCHANGED = object()


def _value(node: Node, turn: Turn) -> Any:
    text = turn.render(node.get("value", ""))
    if len(text) > MAX_STRING_LENGTH:
        turn.warn(node, f"The value was cut to {MAX_STRING_LENGTH} characters.")
        text = text[:MAX_STRING_LENGTH]
    return text


def _expression(node: Node, turn: Turn) -> Any:
    try:
        return evaluate(node.get("value", ""), turn.variables)
    except ExpressionError as exc:
        turn.warn(node, f"The expression failed; the variable is unchanged. {exc}", expression=node.get("value", ""))
        return _UNCHANGED


def _append(node: Node, turn: Turn) -> Any:
    current = turn.variables.get(node.get("variable", ""))
    if isinstance(current, list):
        items = list(current)
    elif current is None or current == "":
        items = []
    else:
        items = [current]
    if len(items) >= MAX_LIST_LENGTH:
        turn.warn(node, f"The list already holds {MAX_LIST_LENGTH} items; nothing was appended.")
        return _UNCHANGED
    items.append(_value(node, turn))
    return items


OPERATIONS = {
    "value": _value,
    "expression": _expression,
    "empty": lambda node, turn: None,
    "append": _append,
    "now": lambda node, turn: turn.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    "random_id": lambda node, turn: f"{turn.context.rng.getrandbits(128):032x}",
    "session_id": lambda node, turn: turn.context.session_id,
}


@register("set_variable")
class SetVariable:
    def execute(self, node: Node, turn: Turn) -> Outcome:
        variable = node.get("variable", "")
        operation = node.get("operation", "value")
        compute = OPERATIONS.get(operation)
        if not variable or compute is None:
            turn.warn(node, "Nothing to set: the variable or the operation is missing.", operation=operation)
            return NEXT
        value = compute(node, turn)
        if value is not _UNCHANGED:
            turn.variables[variable] = value
            turn.debug(node, f"{variable} set ({operation}).", variable=variable, value=value)
        return NEXT
