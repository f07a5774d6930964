"""The safe evaluator of set_variable `expression`s, on top of simpleeval.

What an expression may use: numbers, strings, variables (named bare, `score`, or as in
templates, `{{score}}`), arithmetic (+ - * / // % **), comparisons, `and`/`or`/`not`,
`x if c else y`, indexing, and the functions and constants of
`components.templating.EXPRESSION_BUILTINS`. Nothing else: no attribute access, no lambdas,
comprehensions, f-strings, list/dict literals, walrus or imports. `components.templating.
expression_parse` decides what is refused, here and when a graph is saved or published.

Everything is bounded: the expression's length, string sizes, integer sizes and exponents
(simpleeval's module-wide limits are left alone; these operators carry their own). `+`
between a string and a number concatenates, with numbers written as templating writes them.
Variables holding numeric text ("12", "3.5", as text answers are stored) are numbers here;
text with a leading zero or plus sign ("007", "+351…") stays text.
"""

import ast
import functools
import math
import operator
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from simpleeval import SimpleEval

from components.templating import EXPRESSION_BUILTINS, EXPRESSION_OPERATORS, expression_parse
from executions.runner.templating import format_value

MAX_EXPRESSION_LENGTH = 2000
MAX_STRING_LENGTH = 10_000
MAX_LIST_LENGTH = 1000
MAX_EXPONENT = 1000
MAX_INT_BITS = 4096

_NUMERIC_TEXT = re.compile(r"^-?(?:0|[1-9]\d{0,29})(?:\.\d{1,30})?$")
_LOOSE_NUMERIC_TEXT = re.compile(r"^[+-]?\d{1,30}(?:[.,]\d{1,30})?$")


class ExpressionError(ValueError):
    """The expression was refused or failed; the message says why (for the log)."""


def _too_long(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_STRING_LENGTH
    if isinstance(value, list | tuple):
        return len(value) > MAX_LIST_LENGTH
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise ExpressionError("The number is too large.")
    return value


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) != isinstance(b, str) and (isinstance(a, str) or isinstance(b, str)):
        a, b = format_value(a), format_value(b)
    if hasattr(a, "__len__") and hasattr(b, "__len__") and len(a) + len(b) > MAX_STRING_LENGTH:
        raise ExpressionError("The result would be too long.")
    return _check_int(a + b)


def _mult(a: Any, b: Any) -> Any:
    for seq, times in ((a, b), (b, a)):
        if hasattr(seq, "__len__") and isinstance(times, int) and len(seq) * max(times, 0) > MAX_STRING_LENGTH:
            raise ExpressionError("The result would be too long.")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError("The number is too large.")
    return a * b


def _pow(a: Any, b: Any) -> Any:
    if not (_is_number(a) and _is_number(b)):
        raise ExpressionError("`**` takes numbers.")
    if abs(b) > MAX_EXPONENT:
        raise ExpressionError("The exponent is too large.")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and a.bit_length() * b > MAX_INT_BITS:
        raise ExpressionError("The number is too large.")
    return a**b


def _mod(a: Any, b: Any) -> Any:
    # `%` on a string is printf formatting ("%*d" can build huge strings): numbers only.
    if not (_is_number(a) and _is_number(b)):
        raise ExpressionError("`%` takes numbers.")
    return a % b


def _number(value: Any) -> int | float:
    """A number from a number or numeric text; explicit conversions accept "007" and "3,5"."""
    if _is_number(value):
        return value
    if isinstance(value, str) and _LOOSE_NUMERIC_TEXT.match(value.strip()):
        return _exact(value.strip().replace(",", "."))
    raise ExpressionError(f"{format_value(value)[:50]!r} is not a number.")


def _round(value: Any, digits: Any = None) -> int | float:
    if digits is None:
        return round(_number(value))
    digits = int(_number(digits))
    return round(_number(value), max(-30, min(30, digits)))


def _int(value: Any) -> int:
    return int(_number(value))


def _float(value: Any) -> float:
    return float(_number(value))


def _concat(*values: Any) -> str:
    result = "".join(format_value(value) for value in values)
    if len(result) > MAX_STRING_LENGTH:
        raise ExpressionError("The result would be too long.")
    return result


def _len(value: Any) -> int:
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    return len(format_value(value))


def _min(*values: Any) -> Any:
    return min(*values) if len(values) != 1 else min(values[0])


def _max(*values: Any) -> Any:
    return max(*values) if len(values) != 1 else max(values[0])


FUNCTIONS = {
    "abs": lambda value: abs(_number(value)),
    "round": _round,
    "min": _min,
    "max": _max,
    "int": _int,
    "float": _float,
    "str": format_value,
    "len": _len,
    "lower": lambda value: format_value(value).lower(),
    "upper": lambda value: format_value(value).upper(),
    "trim": lambda value: format_value(value).strip(),
    "concat": _concat,
    "floor": lambda value: math.floor(_number(value)),
    "ceil": lambda value: math.ceil(_number(value)),
}
CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False, "null": None}
if set(FUNCTIONS) | set(CONSTANTS) != EXPRESSION_BUILTINS:  # graph validation must know every builtin
    raise ImportError("executions.runner.expressions is out of step with components.templating.EXPRESSION_BUILTINS")

OPERATORS = {
    ast.Add: _add,
    ast.Sub: operator.sub,
    ast.Mult: _mult,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}

if {op.__name__ for op in OPERATORS} != EXPRESSION_OPERATORS:  # nor may it refuse an operator validation accepts
    raise ImportError("executions.runner.expressions is out of step with components.templating.EXPRESSION_OPERATORS")

# Node types the evaluator refuses even though simpleeval knows them.
_REFUSED_NODES = (ast.Attribute, ast.JoinedStr, ast.FormattedValue)


class _Evaluator(SimpleEval):
    def __init__(self, names: Mapping[str, Any]) -> None:
        super().__init__(operators=OPERATORS, functions=FUNCTIONS, names=names)
        for node_type in _REFUSED_NODES:
            self.nodes.pop(node_type, None)

    def _eval(self, node: ast.AST) -> Any:
        value = super()._eval(node)
        if _too_long(value):
            raise ExpressionError("The result would be too long.")
        return value


@functools.lru_cache(maxsize=512)
def _parse(expression: str) -> ast.expr:
    return expression_parse(expression).body


def _exact(text: str) -> int | float:
    """Numeric text as a number: whole numbers stay exact ints (never through a float, which
    would turn '9' * 30 into 1000000000000000019884624838656), fractions become floats."""
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _coerce(value: Any) -> Any:
    if isinstance(value, str) and _NUMERIC_TEXT.match(value):
        return _exact(value)
    return value


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate `expression` over `variables`. Raises ExpressionError, never anything else."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError("The expression is empty.")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"The expression is longer than {MAX_EXPRESSION_LENGTH} characters.")
    try:
        tree = _parse(expression)
        names = {name: _coerce(value) for name, value in variables.items()}
        names.update(CONSTANTS)
        result = _Evaluator(names).eval(expression, previously_parsed=tree)
    except ExpressionError:
        raise
    except SyntaxError as exc:
        raise ExpressionError(f"The expression is not valid: {exc.msg}.") from exc
    except RecursionError as exc:
        raise ExpressionError("The expression is nested too deeply.") from exc
    except Exception as exc:  # any refusal or failure inside the evaluator is the expression's fault
        raise ExpressionError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return _check_result(result)


def _check_result(result: Any) -> Any:
    if isinstance(result, float):
        if not math.isfinite(result):
            raise ExpressionError("The result is not a finite number.")
        if result.is_integer() and abs(result) < 2**53:
            return int(result)  # 10 / 2 stores 5, like a number answer
    _check_int(result)
    if _too_long(result):
        raise ExpressionError("The result would be too long.")
    if result is not None and not isinstance(result, str | int | float | bool | list | dict):
        raise ExpressionError(f"The result has an unsupported type ({type(result).__name__}).")
    return result
