"""The `{{variable}}` syntax and the language of set_variable expressions, shared by graph
validation (which variables a node reads, which expressions are refused) and the runner."""

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


# --- Expressions ------------------------------------------------------------------------------

# Functions the runner's evaluator provides, with the number of arguments each takes (None: any
# number from the minimum on), and its constants. Neither is a variable.
EXPRESSION_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "round": (1, 2),
    "min": (1, None),
    "max": (1, None),
    "int": (1, 1),
    "float": (1, 1),
    "str": (1, 1),
    "len": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "trim": (1, 1),
    "concat": (0, None),
    "floor": (1, 1),
    "ceil": (1, 1),
}
EXPRESSION_CONSTANTS = frozenset({"True", "False", "None", "true", "false", "null"})
EXPRESSION_BUILTINS = frozenset(EXPRESSION_FUNCTIONS) | EXPRESSION_CONSTANTS

# The operators the evaluator implements, by the name of their `ast` class.
EXPRESSION_OPERATORS = frozenset(
    {
        "Add",
        "Sub",
        "Mult",
        "Div",
        "FloorDiv",
        "Mod",
        "Pow",
        "USub",
        "UAdd",
        "Not",
        "Eq",
        "NotEq",
        "Gt",
        "Lt",
        "GtE",
        "LtE",
        "In",
        "NotIn",
    }
)
_OPERATOR_NODES = (ast.operator, ast.unaryop, ast.cmpop)
_STRUCTURE_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Subscript,
    ast.Slice,
)
_CONSTANT_TYPES = (str, int, float, bool, type(None))

# A string literal (skipped: `{{` inside quotes is text) or a `{{name}}` placeholder.
_SOURCE_TOKEN_RE = re.compile(r"""'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|""" + PLACEHOLDER_RE.pattern)


def expression_source(expression: str) -> str:
    """The expression with each `{{name}}` outside string literals written as the bare name
    (parenthesised, so `{{a}}{{b}}` cannot fuse into one name): `{{score}} + 10` reads like
    `score + 10`."""
    if "{{" not in expression:
        return expression
    return _SOURCE_TOKEN_RE.sub(lambda m: f"({m.group(1)})" if m.group(1) else m.group(0), expression)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access (`.`)",
        ast.List: "list literals",
        ast.Tuple: "tuples",
        ast.Dict: "dict literals",
        ast.Set: "set literals (`{…}`)",
        ast.Lambda: "lambdas",
        ast.JoinedStr: "f-strings",
        ast.NamedExpr: "`:=`",
        ast.Starred: "`*` arguments",
    }
    for klass, label in names.items():
        if isinstance(node, klass):
            return label
    if isinstance(node, ast.comprehension | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return "comprehensions"
    return f"`{type(node).__name__}`"


def expression_parse(expression: str) -> ast.Expression:
    """Parse and check an expression the way the runner's evaluator reads it. Raises
    SyntaxError, with a message saying what is refused, for anything the evaluator would
    refuse whatever the variables hold: syntax it does not know, unknown functions, a wrong
    number of arguments, attribute access, literals other than text, numbers and booleans."""
    tree = ast.parse(expression_source(expression).strip(), mode="eval")
    callees: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, _OPERATOR_NODES):
            if type(node).__name__ not in EXPRESSION_OPERATORS:
                raise SyntaxError(f"it uses the operator `{type(node).__name__}`, which is not supported")
            continue
        if not isinstance(node, _STRUCTURE_NODES):
            raise SyntaxError(f"it uses {_describe(node)}, which is not supported")
        if isinstance(node, ast.Constant) and not isinstance(node.value, _CONSTANT_TYPES):
            raise SyntaxError(f"it uses the literal {node.value!r}, which is not supported")
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                raise SyntaxError(
                    f"it uses attribute access (`.{node.func.attr}()`), which is not supported; "
                    "call a function instead, like upper(name)"
                )
            if not isinstance(node.func, ast.Name) or node.func.id not in EXPRESSION_FUNCTIONS:
                raise SyntaxError("only these functions can be called: " + ", ".join(sorted(EXPRESSION_FUNCTIONS)))
            if node.keywords:
                raise SyntaxError(f"`{node.func.id}` takes no named arguments")
            low, high = EXPRESSION_FUNCTIONS[node.func.id]
            count = len(node.args)
            if count < low or (high is not None and count > high):
                expected = f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
                raise SyntaxError(f"`{node.func.id}` takes {expected} argument(s), not {count}")
            callees.add(id(node.func))
        if isinstance(node, ast.Name) and node.id in EXPRESSION_FUNCTIONS and id(node) not in callees:
            # ast.walk visits a call before its callee, so a function named but not called is seen here.
            raise SyntaxError(f"`{node.id}` is a function; call it, like `{node.id}(x)`")
    return tree


def expression_variables(expression: str) -> set[str]:
    """Names an expression reads. Raises SyntaxError when the evaluator would refuse it."""
    tree = expression_parse(expression)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - EXPRESSION_BUILTINS
