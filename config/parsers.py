import json

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


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but hostile bodies are a 400, never a 500.

    The stock parser lets RecursionError (thousands of nested brackets) escape, and it
    accepts NaN/Infinity, which PostgreSQL's JSON columns then refuse.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - body is not valid {encoding}.") from exc
        try:
            data = json.loads(raw, parse_constant=self._reject_constant)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth_exceeds(data, settings.MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {settings.MAX_JSON_DEPTH} levels.")
        return data

    @staticmethod
    def _reject_constant(name):
        raise ValueError(f"{name} is not valid JSON")
