import json
import math

from django.conf import settings

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(value, limit: int) -> bool:
    """True when containers nest deeper than `limit` (walked iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 overflows to infinity, which JSON columns refuse
        raise ValueError(f"{text[:40]} is too large a number")
    return number


def json_safe_loads(raw: bytes | str, *, encoding: str = "utf-8"):
    """Parse JSON the way every request body is parsed: a ParseError (400), never a 500, for
    invalid text, NaN/Infinity, numbers too large for a float, and nesting deeper than
    MAX_JSON_DEPTH. Also used for JSON that arrives as an uploaded file."""
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON parse error - body is not valid {encoding}.") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise ParseError("JSON parse error - nested too deeply.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    if json_depth_exceeds(data, settings.MAX_JSON_DEPTH):
        raise ParseError(f"JSON parse error - nested deeper than {settings.MAX_JSON_DEPTH} levels.")
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but hostile bodies are a 400, never a 500.

    The stock parser lets RecursionError (thousands of nested brackets) escape, and it
    accepts NaN/Infinity, which PostgreSQL's JSON columns then refuse.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return json_safe_loads(stream.read() if stream is not None else b"", encoding=encoding)
