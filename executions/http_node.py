"""The `http_request` node's side effect: one request through the outbound guard, for one session.

`http_node_call` renders the node's config with the session's variables, sends the request through
`integrations.api_requests` (which adds an API connection's base URL and credentials when the node
names one, and keeps them off any redirect that leaves the connection's origin), maps the response
into variables and describes what happened in one `LogEntry`. It never raises: every
problem (a refused URL, a timeout, a non-2xx status, a body that is not JSON, a bug) becomes the
`failure` handle with a warning log, so a flow never stops with a 500.

The chat turn calls it with no transaction open, after storing an intent for the call; the
request carries that intent's key as `Idempotency-Key`, the same if the call is made again after
a crash, so a receiver can tell a repeated call from a new one.

What it promises about secrets: the connection's secret, auth headers and the values of
secret-looking query parameters never appear in the log; the response body appears only on
failure, as a short excerpt with the secret redacted. Visitors see nothing of the response unless
the flow maps it into a variable.
"""

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from django.conf import settings

from requests.structures import CaseInsensitiveDict

from components.templating import PLACEHOLDER_RE
from executions import selectors
from executions.runner.state import CallOutcome, LogEntry
from executions.runner.templating import format_value, render
from integrations.api_requests import (
    REFUSED_ABSOLUTE_URL,
    ApiRequest,
    ApiRequestRefused,
    ApiResult,
    api_request_connect,
    api_request_send,
    api_request_target,
)
from integrations.models import ApiConnection
from integrations.outbound import (
    OutboundBlocked,
    OutboundConnectionError,
    OutboundError,
    OutboundResponse,
    OutboundTimeout,
    OutboundTooLarge,
)

logger = logging.getLogger(__name__)

NODE_TYPE = "http_request"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# A mapped value larger than this (as JSON) is not stored in the session's variables.
MAX_MAPPED_BYTES = 65_536
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 30.0
MAX_BODY_CHARS = 1_000_000
MAX_URL_CHARS = 8192
EXCERPT_CHARS = 500

_ABSOLUTE_PREFIX_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*[/?#]")
_INDEX_RE = re.compile(r"-?[0-9]+")
# What a variable may hold where it lands in the scheme, host or port: a host name's characters.
_HOST_VALUE_RE = re.compile(r"[A-Za-z0-9.-]*")
_JSON_CONTENT_TYPE_RE = re.compile(r"[/+]json\b", re.IGNORECASE)
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# Error kinds, as they appear in the log's details.
ERROR_BLOCKED = "blocked"
ERROR_TIMEOUT = "timeout"
ERROR_TOO_LARGE = "too_large"
ERROR_CONNECTION = "connection_error"
ERROR_REQUEST = "request_failed"
ERROR_STATUS = "http_status"
ERROR_INVALID_JSON = "invalid_json"
ERROR_CONFIG = "invalid_config"
ERROR_CONNECTION_UNAVAILABLE = "connection_unavailable"
ERROR_ABSOLUTE_URL = REFUSED_ABSOLUTE_URL
ERROR_URL_HOST = "unsafe_url_host"
ERROR_UNEXPECTED = "unexpected"
ERROR_TIME_BUDGET = "time_budget"

# Below this many seconds left of a turn's outbound time, a request is not started.
MIN_CALL_SECONDS = 0.5

_OUTBOUND_ERROR_KINDS: tuple[tuple[type[OutboundError], str], ...] = (
    (OutboundBlocked, ERROR_BLOCKED),
    (OutboundTimeout, ERROR_TIMEOUT),
    (OutboundTooLarge, ERROR_TOO_LARGE),
    (OutboundConnectionError, ERROR_CONNECTION),
)


class _NotSent(Exception):
    """The request cannot be built from this config; `message` is safe to log."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def http_node_call(
    session_id: str,
    node_id: str,
    data: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    chatbot_id: int | None = None,
    idempotency_key: str | None = None,
    max_seconds: float | None = None,
) -> CallOutcome:
    """Run one `http_request` node. Never raises.

    Makes at most one query (the API connection, only when the node names one) and at most one
    request, through the outbound guard, sent with `Idempotency-Key: idempotency_key` (unless the
    node sets that header itself) and given at most `max_seconds` (what is left of the turn's
    outbound time; with less than MIN_CALL_SECONDS left it is not sent). `success` for a 2xx
    answer whose mapping could be read; `failure` for anything else, with only `status` mapped
    when there was a response.
    """
    request = ApiRequest(method=str(data.get("method") or "GET").upper()[:16])
    try:
        _request_build(request, session_id, data, variables, chatbot_id=chatbot_id, idempotency_key=idempotency_key)
        if max_seconds is not None:
            if max_seconds < MIN_CALL_SECONDS:
                limit = settings.CHAT_TURN_OUTBOUND_SECONDS
                raise _NotSent(
                    ERROR_TIME_BUDGET,
                    f"this turn used up its time for outgoing requests ({limit:g} s in all); following `failure`.",
                )
            request.timeout = min(request.timeout, max_seconds)
        handle, updates, log = _request_send(node_id, request, _mapping(data.get("mapping")))
    except (_NotSent, ApiRequestRefused) as exc:
        handle, updates, log = _unsent(node_id, request, f"not sent: {exc.message}", exc.kind)
    except Exception:
        # A bug, not a configuration problem: the flow goes on, and the traceback goes to our logs.
        logger.exception("http_request node %s of session %s failed unexpectedly", node_id, session_id)
        handle, updates, log = _unsent(node_id, request, "failed: unexpected error", ERROR_UNEXPECTED)
    return CallOutcome(handle=handle, updates=updates, log=log)


def _unsent(node_id: str, request: ApiRequest, outcome: str, kind: str) -> tuple[str, dict, LogEntry]:
    """The failure result of a request that got no response."""
    url = _display_url(request)
    message = f"{request.method} {url or '(no URL)'} → {outcome}"
    details = {"method": request.method, "url": url, "status": None, "duration_ms": 0, "error": kind}
    return "failure", {}, _log(node_id, "warning", message, details)


def _display_url(request: ApiRequest) -> str:
    try:
        return request.display_url()
    except Exception:  # only for logging; an unloggable URL must not hide the real problem
        return ""


# --- Building the request ---------------------------------------------------------------------


def _request_build(
    request: ApiRequest,
    session_id: str,
    data: Mapping[str, Any],
    variables: Mapping[str, Any],
    *,
    chatbot_id: int | None = None,
    idempotency_key: str | None = None,
) -> None:
    """Fill `request` from the node's config, step by step, so a refusal can still log what was
    known by then (never the secret: it is registered before it is used anywhere)."""
    request.timeout = _timeout(data.get("timeout"))
    if request.method not in METHODS:
        raise _NotSent(ERROR_CONFIG, "This HTTP method is not supported.")
    connection = _connection_for(session_id, data.get("connection"), chatbot_id=chatbot_id)
    if idempotency_key:
        request.headers["Idempotency-Key"] = idempotency_key
    if connection is not None:
        api_request_connect(request, connection)
    url = _url_render(str(data.get("url") or ""), variables, relative=connection is not None)
    api_request_target(request, url)
    if not request.url:
        raise _NotSent(ERROR_CONFIG, "The URL is empty.")

    for name, value in _string_map(data.get("headers")):
        if name:
            # A header value cannot span lines; a visitor's multi-line answer becomes one line.
            request.headers[name] = " ".join(render(value, variables).splitlines()).strip()
    request.params = {name: render(value, variables) for name, value in _string_map(data.get("query")) if name}

    body_template = data.get("body")
    if isinstance(body_template, str) and body_template.strip():
        request.body = _body_render(body_template, variables, request.headers)


def call_timeout(data: Mapping[str, Any]) -> float:
    """The seconds a node's request may take (its `timeout`, within bounds)."""
    return _timeout(data.get("timeout"))


def _timeout(value: Any) -> float:
    """Seconds, from the config: 10 when missing or nonsense, at most 30."""
    if isinstance(value, bool):
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    if not math.isfinite(seconds) or seconds <= 0:
        return DEFAULT_TIMEOUT
    return min(seconds, MAX_TIMEOUT)


def _connection_for(session_id: str, connection_id: Any, *, chatbot_id: int | None = None) -> ApiConnection | None:
    """The node's API connection, if it belongs to the owner of the session's chatbot (looked
    up by the chatbot when known: on a session's first turn its row does not exist yet).

    A missing connection and someone else's look the same, so a flow cannot probe for ids."""
    if connection_id is None or connection_id == "":
        return None
    unavailable = _NotSent(ERROR_CONNECTION_UNAVAILABLE, "The API connection is not available.")
    if isinstance(connection_id, bool):
        raise unavailable
    try:
        pk = int(connection_id)
    except (TypeError, ValueError):
        raise unavailable from None
    connection = selectors.api_connection_of_session(pk=pk, session_id=session_id, chatbot_id=chatbot_id)
    if connection is None:
        raise unavailable
    return connection


def _string_map(value: Any) -> Iterable[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        return []
    return [(str(name).strip(), item) for name, item in value.items()]


# --- URLs ---------------------------------------------------------------------------------------


def _url_render(template: str, variables: Mapping[str, Any], *, relative: bool) -> str:
    """Render a URL template, escaping each value for where it lands.

    In the scheme, host and port part (`https://{{region}}.api.example.com`) a value may hold only
    a host name's characters (ASCII letters, digits, `-`, `.`): anything else (`:`, `/`, `?`, `@`,
    `%`…) could move the request, with the node's headers, to a host of the visitor's choosing, so
    the request is not sent. In the path a value is percent-encoded except for `/`; in the query
    and fragment it is fully percent-encoded. So a visitor's answer can fill a host label, a path
    segment or a query value but cannot choose the host, add parameters, a fragment or a query.
    In a connection's relative URL everything is path or later."""
    parts: list[str] = []
    position = 0
    for match in PLACEHOLDER_RE.finditer(template):
        parts.append(template[position : match.start()])
        position = match.end()
        prefix = "".join(parts)
        value = format_value(variables.get(match.group(1)))
        if "?" in prefix or "#" in prefix:
            parts.append(quote(value, safe=""))
        elif relative or _ABSOLUTE_PREFIX_RE.match(prefix):
            parts.append(quote(value, safe="/"))
        elif _HOST_VALUE_RE.fullmatch(value):
            parts.append(value)
        else:
            raise _NotSent(
                ERROR_URL_HOST,
                f"{{{{{match.group(1)}}}}} lands in the URL's scheme, host or port, where only letters, digits, "
                "'-' and '.' are allowed, and its value holds other characters.",
            )
        if sum(map(len, parts)) > MAX_URL_CHARS:
            raise _NotSent(ERROR_CONFIG, "The URL is too long.")
    parts.append(template[position:])
    url = "".join(parts).strip()
    if len(url) > MAX_URL_CHARS:
        raise _NotSent(ERROR_CONFIG, "The URL is too long.")
    return url


# --- Bodies -------------------------------------------------------------------------------------


def _body_render(template: str, variables: Mapping[str, Any], headers: CaseInsensitiveDict) -> str:
    """Render the body for its format. A JSON body (Content-Type says JSON; or, with no
    Content-Type, the body looks like JSON) gets each value JSON-escaped for where it lands, and
    Content-Type application/json; a form body gets URL-encoded values; anything else is text."""
    content_type = headers.get("Content-Type")
    if content_type:
        if _JSON_CONTENT_TYPE_RE.search(content_type):
            body = _json_render(template, variables)
        elif content_type.split(";")[0].strip().lower() == _FORM_CONTENT_TYPE:
            body = _form_render(template, variables)
        else:
            body = render(template, variables, max_length=MAX_BODY_CHARS + 1)
    elif _looks_like_json(template):
        body = _json_render(template, variables)
        headers["Content-Type"] = "application/json"
    else:
        body = render(template, variables, max_length=MAX_BODY_CHARS + 1)
    if len(body) > MAX_BODY_CHARS:
        raise _NotSent(ERROR_CONFIG, "The request body is too large.")
    return body


def _looks_like_json(template: str) -> bool:
    if template.strip().startswith(("{", "[")):
        return True
    try:
        json.loads(_json_substitute(template, lambda value, in_string: "" if in_string else "0"))
    except ValueError:
        return False
    return True


def _json_render(template: str, variables: Mapping[str, Any]) -> str:
    def value_for(name: str, in_string: bool) -> str:
        value = variables.get(name)
        if in_string:
            return json.dumps(format_value(value), ensure_ascii=False)[1:-1]
        return _json_literal(value)

    return _json_substitute(template, value_for, named=True)


def _json_substitute(template: str, value_for, *, named: bool = False) -> str:
    """Replace each placeholder with `value_for(name or value, in_string)`, tracking whether it sits
    inside a JSON string literal. Inserted text is always complete (an escaped string's inside, or
    a whole JSON value), so it never changes where the template's own strings begin and end."""
    parts: list[str] = []
    size = 0
    position = 0
    in_string = escaped = False
    for match in PLACEHOLDER_RE.finditer(template):
        literal = template[position : match.start()]
        for char in literal:
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
        parts.append(literal)
        if escaped:
            # A lone backslash right before the placeholder would swallow the value's first
            # character (`\` + `\"` closes the string): make it a literal backslash.
            parts.append("\\")
            escaped = False
        inserted = value_for(match.group(1), in_string) if named else value_for(None, in_string)
        parts.append(inserted)
        size += len(literal) + len(inserted)
        if size > MAX_BODY_CHARS:
            raise _NotSent(ERROR_CONFIG, "The request body is too large.")
        position = match.end()
    parts.append(template[position:])
    return "".join(parts)


def _json_literal(value: Any) -> str:
    """A variable as a whole JSON value: numbers, booleans and null as they are, text quoted,
    lists and objects as JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool | int):
        return format_value(value) or "null"
    if isinstance(value, float):
        return format_value(value) if math.isfinite(value) else "null"
    if isinstance(value, list | tuple | Mapping):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
        except ValueError:
            return json.dumps(format_value(value), ensure_ascii=False)
    return json.dumps(format_value(value), ensure_ascii=False)


def _form_render(template: str, variables: Mapping[str, Any]) -> str:
    return PLACEHOLDER_RE.sub(lambda match: quote_plus(format_value(variables.get(match.group(1)))), template)


# --- Sending and mapping ------------------------------------------------------------------------


# The mapping path that stores the whole parsed JSON body.
WHOLE_BODY = "$"


@dataclass(frozen=True)
class _MappingItem:
    path: str
    variable: str


def _mapping(value: Any) -> list[_MappingItem]:
    items = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("path"), str) and isinstance(item.get("variable"), str):
            path, variable = item["path"].strip(), item["variable"].strip()
            if path and variable:
                items.append(_MappingItem(path=path, variable=variable))
    return items


def _is_body_path(path: str) -> bool:
    return path != "status" and not path.startswith("headers.")


def _request_send(node_id: str, request: ApiRequest, mapping: list[_MappingItem]) -> tuple[str, dict, LogEntry]:
    details: dict[str, Any] = {"method": request.method, "url": request.display_url()}
    result = api_request_send(request, max_bytes=settings.OUTBOUND_MAX_RESPONSE_BYTES)
    response = result.response
    if response is None:
        exc, elapsed = result.error, result.elapsed_ms
        kind = next((kind for cls, kind in _OUTBOUND_ERROR_KINDS if isinstance(exc, cls)), ERROR_REQUEST)
        message = f"{request.method} {details['url']} → failed in {elapsed} ms: {exc.message}"
        details.update(status=None, duration_ms=elapsed, error=kind)
        return "failure", {}, _log(node_id, "warning", message, details, duration_ms=elapsed)

    details.update(status=response.status, duration_ms=response.elapsed_ms)
    message = f"{request.method} {details['url']} → {response.status} in {response.elapsed_ms} ms"
    status_updates = {item.variable: response.status for item in mapping if item.path == "status"}
    if not 200 <= response.status < 300:
        return _failure(node_id, result, message, details, status_updates, ERROR_STATUS)

    document: Any = None
    if any(_is_body_path(item.path) for item in mapping):
        try:
            document = response.json()
        except ValueError:
            message += ", but the response is not JSON"
            return _failure(node_id, result, message, details, status_updates, ERROR_INVALID_JSON)

    updates: dict[str, Any] = {}
    missing: list[str] = []
    too_large: list[str] = []
    for item in mapping:
        found, value = _mapped_value(item.path, response, document)
        if not found:
            missing.append(item.path)
        elif len(json.dumps(value, default=str)) > MAX_MAPPED_BYTES:
            # Session variables are stored with every turn: a whole response must not land there.
            too_large.append(item.path)
        else:
            updates[item.variable] = value
    details["mapped"] = list(updates)
    if missing:
        details["missing"] = missing
        message += f"; not in the response: {', '.join(missing)}"
    if too_large:
        details["too_large"] = too_large
        message += f"; too large to store (over {MAX_MAPPED_BYTES} bytes): {', '.join(too_large)}"
    return "success", updates, _log(node_id, "info", message, details, duration_ms=response.elapsed_ms)


def _failure(
    node_id: str,
    result: ApiResult,
    message: str,
    details: dict[str, Any],
    status_updates: dict[str, Any],
    kind: str,
) -> tuple[str, dict, LogEntry]:
    details.update(error=kind, mapped=list(status_updates))
    excerpt = result.excerpt(EXCERPT_CHARS)
    if excerpt:
        details["response_excerpt"] = excerpt
    return "failure", status_updates, _log(node_id, "warning", message, details, duration_ms=result.elapsed_ms)


def _mapped_value(path: str, response: OutboundResponse, document: Any) -> tuple[bool, Any]:
    if path == WHOLE_BODY:
        return True, document
    if path == "status":
        return True, response.status
    if path.startswith("headers."):
        name = path[len("headers.") :].strip().lower()
        return (True, response.headers[name]) if name in response.headers else (False, None)
    return json_path_get(document, path)


def json_path_get(document: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (`data.items.0.name`) into parsed JSON: object keys by name, list items
    by index (negative counts from the end). Returns (found, value)."""
    current = document
    for segment in path.split("."):
        if isinstance(current, Mapping):
            if segment not in current:
                return False, None
            current = current[segment]
        elif isinstance(current, list) and _INDEX_RE.fullmatch(segment):
            index = int(segment)
            if not -len(current) <= index < len(current):
                return False, None
            current = current[index]
        else:
            return False, None
    return True, current


def _log(node_id: str, level: str, message: str, details: Mapping[str, Any], *, duration_ms: int = 0) -> LogEntry:
    return LogEntry(
        node_id=node_id,
        node_type=NODE_TYPE,
        level=level,
        message=message[:1000],
        details=dict(details),
        duration_ms=max(0, int(duration_ms)),
    )
