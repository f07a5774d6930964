import json
import math

from django.conf import settings

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.utils.json import strict_constant

NUL = "\x00"
NUL_MESSAGE = "NUL characters (\\u0000) are not accepted in text."


def _json_problem(value, limit: int) -> str | None:
    """ "depth" when containers nest deeper than `limit`, "nul" when a string or key holds a NUL
    character (PostgreSQL text and JSON cannot store one), else None. Iterative: no recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return "nul"
            continue
        if isinstance(item, dict):
            if any(NUL in key for key in item):
                return "nul"
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return "depth"
        stack.extend((child, depth + 1) for child in children if isinstance(child, str | dict | list))
    return None


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 overflows to infinity, which JSON columns refuse
        raise ValueError(f"{text[:40]} is too large a number")
    return number


def json_safe_loads(raw: bytes | str, *, encoding: str = "utf-8"):
    """Parse JSON the way every request body is parsed: a ParseError (400), never a 500, for
    invalid text, NaN/Infinity, numbers too large for a float, NUL characters (which
    PostgreSQL's text and JSON columns refuse) and nesting deeper than MAX_JSON_DEPTH. Also
    used for JSON that arrives as an uploaded file."""
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
    if problem == "depth":
        raise ParseError(f"JSON parse error - nested deeper than {settings.MAX_JSON_DEPTH} levels.")
    if problem == "nul":
        raise ParseError(f"JSON parse error - {NUL_MESSAGE}")
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSON parser (strict: it refuses NaN and Infinity), plus what it lacks, so that a
    hostile body is a 400, never a 500: it lets RecursionError (thousands of nested brackets)
    escape, reads numbers too large for a float as infinity (1e400) and lets NUL characters
    and any depth through; PostgreSQL's text and JSON columns refuse infinity and NUL. This is
    the one place that refuses them, for every JSON body of the API.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        return json_safe_loads(stream.read() if stream is not None else b"", encoding=encoding)


def query_has_nul(query) -> bool:
    """Whether a QueryDict (query string or form fields) holds a NUL in a name or a value."""
    return any(NUL in key or any(NUL in value for value in values) for key, values in query.lists())


class _RefuseNulFields:
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        # (File names need no check: Django drops their non-printable characters.)
        if query_has_nul(getattr(parsed, "data", parsed)):
            raise ParseError(NUL_MESSAGE)
        return parsed


class SafeMultiPartParser(_RefuseNulFields, MultiPartParser):
    """Multipart bodies (the uploads) refuse NUL characters in their fields, and a body with
    no part at all (not form data: Django reads it as an empty form, a silent no-op)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if not parsed.data and not parsed.files:
            raise ParseError("The multipart body holds no field and no file.")
        return parsed


class SafeFormParser(_RefuseNulFields, FormParser):
    """Form bodies refuse NUL characters in fields."""
