"""The `{{variable}}` syntax, shared by graph validation (which variables a node reads) and the runner."""

import ast
import re

from config.jsonschema_errors import pattern_described

VARIABLE_NAME_PATTERN = pattern_described(
    r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", "a variable name: letters, digits and _, not starting with a digit"
)
VARIABLE_NAME_RE = re.compile(VARIABLE_NAME_PATTERN)
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")


def template_variables(text: str) -> set[str]:
    return set(PLACEHOLDER_RE.findall(text))


def strings_in(value) -> list[str]:
    """Every string inside a JSON value (iteratively; configs are bounded in depth anyway)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def expression_variables(expression: str) -> set[str]:
    """Names an expression reads. Raises SyntaxError when it does not parse."""
    tree = ast.parse(expression, mode="eval")
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - EXPRESSION_BUILTINS


# Functions and constants the runner's evaluator provides; they are not variables.
EXPRESSION_BUILTINS = frozenset(
    {
        "True",
        "False",
        "None",
        "true",
        "false",
        "null",
        "abs",
        "round",
        "min",
        "max",
        "int",
        "float",
        "str",
        "len",
        "lower",
        "upper",
        "trim",
        "concat",
        "floor",
        "ceil",
    }
)
