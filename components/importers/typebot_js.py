"""Typebot's "Custom" Set variable values: JavaScript, or text when JavaScript fails.

Typebot runs the value as JavaScript (prepending `return`), with each `{{Variable}}` as a JS
variable holding its value (numeric text as a number); when the code throws, it stores the
text itself with the variables filled in. So `{{Score}} + 5` adds, while `Promoter`, `Hello
{{Name}}` and a URL throw and are stored as text. This module sorts a value the same way:

- an expression built from what our evaluator computes identically (numbers, text, variables,
  `+ - * / %`, comparisons, `&& || !`, `? :`, `.length`, `.toUpperCase()`, `.toLowerCase()`,
  `.trim()`, `.toString()`, `Math.floor/ceil/abs/min/max/round`, `Number`, `parseInt`,
  `parseFloat`, `String`, indexing) becomes our `expression`;
- a lone literal, a lone `{{Variable}}` and anything JavaScript would throw on become our
  `value` (a template);
- other JavaScript (statements, other methods and globals) cannot run here: unsupported.
"""

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.templating import expression_parse

MAX_EXPRESSION_LENGTH = 2000
MAX_NESTING = 40

EXPRESSION, VALUE, EMPTY, UNSUPPORTED = "expression", "value", "empty", ""


@dataclass(frozen=True)
class Translation:
    """`operation` is a set_variable operation (or UNSUPPORTED); `text` the expression or value
    for it, or for UNSUPPORTED the reason."""

    operation: str
    text: str = ""


class _Throws(Exception):
    """JavaScript would throw here (a name nothing defines): Typebot stores the text."""


class _Unsupported(Exception):
    pass


class _ParseFailed(Exception):
    pass


_TOKEN_RE = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<var>\{\{[^{}]+\}\})
    | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\$]|\$(?!\{))*`)
    | (?P<ident>(?:[^\W\d]|\$)(?:\w|\$)*)
    | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||\?\?|[-+*/%()\[\].,?:!<>])
    """,
    re.VERBOSE,
)

# JavaScript's own globals: code using them runs in Typebot, but not here.
_JS_GLOBALS = frozenset(
    {
        "Math",
        "JSON",
        "Date",
        "Number",
        "String",
        "Boolean",
        "Array",
        "Object",
        "RegExp",
        "Intl",
        "Symbol",
        "Map",
        "Set",
        "BigInt",
        "Promise",
        "Error",
        "parseInt",
        "parseFloat",
        "isNaN",
        "isFinite",
        "encodeURIComponent",
        "decodeURIComponent",
        "encodeURI",
        "decodeURI",
        "console",
        "window",
        "document",
        "globalThis",
        "fetch",
        "setVariable",
        "NaN",
        "Infinity",
        "this",
        "new",
        "typeof",
        "void",
        "delete",
        "await",
        "function",
        "class",
    }
)

# Signs of real JavaScript in a value that does not parse as an expression.
_CODE_MARKERS = re.compile(
    r"""
      (?:^|[;{}\n])\s*return\b
    | =>
    | \$\{
    | ;\s*(?:$|\n)
    | \b(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*=
    | \bfunction\b\s*[\w$]*\s*\(
    | \b(?:if|for|while|switch)\s*\(
    | \.\s*[A-Za-z_$][\w$]*\s*\(
    | \b(?:Math|JSON|Date|Object|Array|window|document|console|setVariable|fetch)\s*[.(]
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _js_string(raw: str) -> str:
    body, out, index = raw[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        following = body[index + 1 : index + 2]
        if following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[index + 2 : index + 6]):
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
        elif following == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[index + 2 : index + 4]):
            out.append(chr(int(body[index + 2 : index + 4], 16)))
            index += 4
        else:
            out.append(_ESCAPES.get(following, following))
            index += 2
    return "".join(out)


def _js_number(text: str) -> int | float:
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if re.fullmatch(r"0\d+", text):  # legacy octal literals: not worth reproducing
        raise _Unsupported("a number with a leading zero")
    if re.fullmatch(r"\d+", text):
        number = int(text)
        return number if number < 2**53 else float(number)
    number = float(text)
    if not math.isfinite(number):
        raise _Unsupported("a number too large")
    return number


def _tokens(code: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(code):
        match = _TOKEN_RE.match(code, position)
        if match is None:
            raise _ParseFailed
        position = match.end()
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
    return tokens


class _Parser:
    """Precedence climbing over JavaScript's expression grammar, as far as we translate it."""

    BINARY = (
        ("||", "??"),
        ("&&",),
        ("===", "!==", "==", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens) or (expected is not None and self.peek() != expected):
            raise _ParseFailed
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> tuple:
        tree = self.conditional()
        if self.position != len(self.tokens):
            raise _ParseFailed
        return tree

    def conditional(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Unsupported("nesting too deep")
        test = self.binary(0)
        if self.peek() == "?":
            self.take()
            yes = self.conditional()
            self.take(":")
            no = self.conditional()
            test = ("cond", test, yes, no)
        self.depth -= 1
        return test

    def binary(self, level: int) -> tuple:
        if level == len(self.BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self.BINARY[level] and self.tokens[self.position][0] == "op":
            operator = self.take()[1]
            left = ("binary", operator, left, self.binary(level + 1))
        return left

    def unary(self) -> tuple:
        if self.peek() in ("-", "+", "!") and self.tokens[self.position][0] == "op":
            operator = self.take()[1]
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise _Unsupported("nesting too deep")
            operand = self.unary()
            self.depth -= 1
            return ("unary", operator, operand)
        return self.postfix()

    def postfix(self) -> tuple:
        node = self.primary()
        while self.peek() in (".", "[", "("):
            symbol = self.take()[1]
            if symbol == ".":
                kind, name = self.take()
                if kind != "ident":
                    raise _ParseFailed
                node = ("member", node, name)
            elif symbol == "[":
                node = ("index", node, self.conditional())
                self.take("]")
            else:
                node = ("call", node, self.arguments())
        return node

    def arguments(self) -> list[tuple]:
        args: list[tuple] = []
        if self.peek() == ")":
            self.take()
            return args
        while True:
            args.append(self.conditional())
            if self.take()[1] == ")":
                return args
            if self.tokens[self.position - 1][1] != ",":
                raise _ParseFailed

    def primary(self) -> tuple:
        kind, text = self.take()
        if kind == "num":
            return ("literal", _js_number(text))
        if kind == "str":
            return ("literal", _js_string(text))
        if kind == "var":
            return ("var", text[2:-2])
        if kind == "ident":
            constants = {"true": True, "false": False, "null": None, "undefined": None}
            return ("literal", constants[text]) if text in constants else ("ident", text)
        if text == "(":
            node = self.conditional()
            self.take(")")
            return node
        raise _ParseFailed


_COMPARISONS = {"===": "==", "==": "==", "!==": "!=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_METHODS = {"toUpperCase": "upper", "toLowerCase": "lower", "trim": "trim", "toString": "str"}
_MATH = {"floor": "floor", "ceil": "ceil", "abs": "abs", "min": "min", "max": "max"}
_CONVERSIONS = {"Number": "float", "parseFloat": "float", "parseInt": "int", "String": "str"}


class _Emitter:
    def __init__(self, variable: Callable[[str], str]) -> None:
        self.variable = variable

    def emit(self, node: tuple) -> str:
        kind = node[0]
        if kind == "literal":
            value = node[1]
            if value is None:
                return "null"
            if isinstance(value, bool):
                return "true" if value else "false"
            return repr(value)
        if kind == "var":
            return self.variable(node[1])
        if kind == "ident":
            raise _Unsupported(f"`{node[1]}`") if node[1] in _JS_GLOBALS else _Throws
        if kind == "unary":
            operand = self.emit(node[2])
            return f"(not {operand})" if node[1] == "!" else f"({node[1]}{operand})"
        if kind == "binary":
            operator, left, right = node[1], self.emit(node[2]), self.emit(node[3])
            if operator == "%":  # JavaScript's remainder keeps the dividend's sign; Python's `%` does not
                return f"({left} - {right} * int({left} / {right}))"
            if operator in ("&&", "||"):
                return f"({left} {'and' if operator == '&&' else 'or'} {right})"
            if operator == "??":
                raise _Unsupported("`??`")
            return f"({left} {_COMPARISONS.get(operator, operator)} {right})"
        if kind == "cond":
            return f"({self.emit(node[2])} if {self.emit(node[1])} else {self.emit(node[3])})"
        if kind == "index":
            return f"{self.emit(node[1])}[{self.emit(node[2])}]"
        if kind == "member":
            if node[1] == ("ident", "Math") or node[2] != "length":
                self.emit(node[1])
                raise _Unsupported(f"`.{node[2]}`")
            return f"len({self.emit(node[1])})"
        if kind == "call":
            return self.call(node[1], node[2])
        raise _Unsupported(kind)

    def call(self, callee: tuple, args: list[tuple]) -> str:
        emitted = [self.emit(arg) for arg in args]
        if callee[0] == "member" and callee[1] == ("ident", "Math"):
            name = callee[2]
            if name == "round" and len(emitted) == 1:
                return f"floor({emitted[0]} + 0.5)"  # Math.round rounds halves up, Python's round to even
            if name in _MATH and emitted and (len(emitted) == 1 or name in ("min", "max")):
                return f"{_MATH[name]}({', '.join(emitted)})"
            raise _Unsupported(f"`Math.{name}`")
        if callee[0] == "member":
            target = self.emit(callee[1])
            if callee[2] in _METHODS and not emitted:
                return f"{_METHODS[callee[2]]}({target})"
            raise _Unsupported(f"`.{callee[2]}()`")
        if callee[0] == "ident":
            if callee[1] in _CONVERSIONS and len(emitted) == 1:
                return f"{_CONVERSIONS[callee[1]]}({emitted[0]})"
            raise _Unsupported(f"`{callee[1]}()`") if callee[1] in _JS_GLOBALS else _Throws
        raise _Unsupported("this call")


def _literal_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def translate_custom(code: str, *, variable: Callable[[str], str], template: Callable[[str], str]) -> Translation:
    """Sort a Custom value (see the module doc). `variable` names a Typebot variable here;
    `template` rewrites a text's `{{Name}}`s."""
    stripped = code.strip()
    if not stripped:
        return Translation(EMPTY)
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        return Translation(VALUE, template(stripped))
    if re.fullmatch(r"-?\d+(?:\.\d+)?", stripped) and re.search(r"0[^.].+", stripped):
        return Translation(VALUE, stripped)  # Typebot keeps such numbers as text, to avoid octal
    try:
        tree = _Parser(_tokens(stripped)).parse()
    except _ParseFailed:
        if _CODE_MARKERS.search(re.sub(r"\{\{[^{}]+\}\}", "v", stripped)):
            return Translation(UNSUPPORTED, "it is JavaScript that cannot run here")
        return Translation(VALUE, template(code))
    except _Unsupported as exc:
        return Translation(UNSUPPORTED, f"it uses {exc}, which cannot run here")
    if tree[0] == "literal":
        return Translation(EMPTY) if tree[1] is None else Translation(VALUE, template(_literal_text(tree[1])))
    if tree[0] == "unary" and tree[1] == "-" and tree[2][0] == "literal" and isinstance(tree[2][1], int | float):
        return Translation(VALUE, _literal_text(-tree[2][1]))
    try:
        expression = _Emitter(variable).emit(tree)
    except _Throws:
        return Translation(VALUE, template(code))
    except _Unsupported as exc:
        return Translation(UNSUPPORTED, f"it uses {exc}, which cannot run here")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        return Translation(UNSUPPORTED, "it is too long")
    try:
        tree = expression_parse(expression)
    except SyntaxError as exc:
        return Translation(UNSUPPORTED, f"our evaluator refuses it ({exc.msg})")
    return Translation(EXPRESSION, _without_outer_parentheses(expression, tree))


def _without_outer_parentheses(expression: str, tree: ast.Expression) -> str:
    """`(a + b)` reads better as `a + b`; kept when they are not one pair around it all."""
    if expression.startswith("(") and expression.endswith(")"):
        try:
            if ast.dump(ast.parse(expression[1:-1], mode="eval")) == ast.dump(tree):
                return expression[1:-1]
        except SyntaxError:
            pass
    return expression
