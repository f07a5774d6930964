import json
import math

from django.conf import settings

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant


def _json_problem(value, limit: int) -> str | None:
    """Why parsed JSON cannot be stored, or None: containers nested deeper than `limit`, or a
    NUL character in a key or a string (PostgreSQL's text and JSON columns refuse it). Walked
    iteratively: no recursion."""
    nul = "null characters (\\u0000) are not allowed."
    if isinstance(value, str):
        return nul if "\x00" in value else None
    if not isinstance(value, dict | list):
        return None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return f"nested deeper than {limit} levels."
        for child in [*item.keys(), *item.values()] if isinstance(item, dict) else item:
            if isinstance(child, str):
                if "\x00" in child:
                    return nul
            elif isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return None


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 overflows to infinity, which JSON columns refuse
        raise ValueError(f"{text[:40]} is too large a number")
    return number


def json_safe_loads(raw: bytes | str, *, encoding: str = "utf-8"):
    """Parse JSON the way every request body is parsed: a ParseError (400), never a 500, for
    invalid text, NaN/Infinity, numbers too large for a float, NUL characters, and nesting
    deeper than MAX_JSON_DEPTH. Also used for JSON that arrives as an uploaded file."""
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON parse error - body is not valid {encoding}.") from exc
    try:
        # NaN and Infinity are refused as DRF's strict parser refuses them.
        data = json.loads(text, parse_constant=strict_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise ParseError("JSON parse error - nested too deeply.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    problem = _json_problem(data, settings.MAX_JSON_DEPTH)
    if problem:
        raise ParseError(f"JSON parse error - {problem}")
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSON parser (strict: NaN and Infinity are refused), plus what it lacks, so that a
    hostile body is a 400, never a 500: it lets RecursionError (thousands of nested brackets)
    escape, reads 1e999 as infinity, and lets NUL characters through; PostgreSQL's JSON and
    text columns then refuse the last two."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return json_safe_loads(stream.read() if stream is not None else b"", encoding=encoding)
