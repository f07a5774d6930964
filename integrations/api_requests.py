"""Requests through an API connection: the one place where a connection's credentials are used.

The `http_request` node (executions.http_node) and the owner's test sends (`api_test`) build their
request here, the same way:

1. `api_request_connect` reads the connection's secret and notes every spelling of it that may
   reach a log, and starts the headers with the connection's own (treated as sensitive: they may
   carry credentials too);
2. `api_request_target` joins the connection's base URL and a relative path, and refuses any result
   on another origin, so the credentials only ever go to the connection's own host;
3. the caller adds its headers, query and body; then `api_request_send` sets the credentials last
   (a caller cannot replace them) and sends the request through the outbound guard, which drops the
   credentials — the auth header, the connection's headers, the key's query parameter — from any
   redirect that leaves the connection's origin, and keeps them on one that stays.

What it promises about secrets: `ApiRequest.display_url()` and `ApiResult.excerpt()`/`.headers()`
never show the secret, whatever spelling it takes (raw, percent-encoded, JSON-escaped, inside a
Basic token), nor the values of secret-looking query parameters.
"""

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict

from integrations.crypto import REDACTED, SecretUnreadable, basic_auth_token, secret_decrypt, secret_redact
from integrations.models import ApiConnection
from integrations.outbound import OutboundError, OutboundResponse, outbound_request

# Why a request was not sent, as the callers' logs name it.
REFUSED_CONNECTION_UNAVAILABLE = "connection_unavailable"
REFUSED_ABSOLUTE_URL = "absolute_url_with_connection"

DEFAULT_TIMEOUT = 10.0

# Query parameter names whose values are masked in logs. Over-matching only hides a harmless value.
SECRET_NAME_RE = re.compile(r"token|key|secret|passw|pwd|auth|sign|credential|session|jwt|^sig$|^code$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class ApiRequestRefused(Exception):
    """The request cannot go out as built; `message` is safe to show and log, `kind` names why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class ApiRequest:
    """A request on its way out, through an API connection (`api_request_connect`) or not."""

    method: str
    connection: ApiConnection | None = None
    url: str = ""
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    params: dict[str, str] = field(default_factory=dict)
    body: str | bytes | None = None
    timeout: float = DEFAULT_TIMEOUT
    # Strings that must never reach a log: the connection's secret in every spelling it may take.
    secrets: list[str] = field(default_factory=list)
    # Headers that are credentials (dropped from a redirect that leaves the origin).
    sensitive_headers: set[str] = field(default_factory=set)
    _secret: str = field(default="", repr=False)

    def display_url(self) -> str:
        """The URL as sent (with its query), safe to log."""
        params, name = self._params_with_key(REDACTED)
        return url_redact(_with_params(self.url, params), secrets=self.secrets, secret_params=[name] if name else [])

    def redact(self, text: str) -> str:
        return secret_redact(text, self.secrets)

    def _params_with_key(self, value: str) -> tuple[dict[str, str], str]:
        """The query with the connection's key parameter (when its auth type is `query`) last, set
        to `value`, replacing any parameter of that name in any case; and that name ("" for none)."""
        connection = self.connection
        if connection is None or connection.auth_type != ApiConnection.AuthType.QUERY or not connection.auth_name:
            return dict(self.params), ""
        name = connection.auth_name
        params = {key: item for key, item in self.params.items() if key.lower() != name.lower()}
        return {**params, name: value}, name


@dataclass(frozen=True)
class ApiResult:
    """What came back: a response, or the guard's error (never both), and how long it took."""

    request: ApiRequest
    response: OutboundResponse | None
    error: OutboundError | None
    elapsed_ms: int

    def excerpt(self, limit: int) -> str:
        """The start of the response body, at most `limit` characters, the secret redacted."""
        if self.response is None:
            return ""
        # Redacted before it is cut, so a secret at the cut cannot leave half of itself behind.
        return self.request.redact(self.response.text()[: limit * 4])[:limit]

    def headers(self) -> dict[str, str]:
        """The response headers (names lower-cased), the secret redacted from their values."""
        if self.response is None:
            return {}
        return {name: self.request.redact(value) for name, value in self.response.headers.items()}


def api_request_connect(request: ApiRequest, connection: ApiConnection) -> None:
    """Send `request` through `connection`: its secret is read (ApiRequestRefused when it cannot
    be) and noted for redaction, and its own headers go under the ones the caller adds."""
    try:
        secret = secret_decrypt(connection.secret_encrypted) if connection.secret_encrypted else ""
    except SecretUnreadable:
        raise ApiRequestRefused(REFUSED_CONNECTION_UNAVAILABLE, "The API connection's secret cannot be read.") from None
    request.connection = connection
    request._secret = secret
    request.secrets = _secret_spellings(connection, secret)
    for name, value in (connection.headers or {}).items():
        request.headers[str(name)] = str(value)
        request.sensitive_headers.add(str(name))


def api_request_target(request: ApiRequest, url: str) -> None:
    """Point `request` at `url`: as it is without a connection; with one, `url` is a path under
    its base URL (empty: the base URL itself), and ApiRequestRefused is raised for an absolute
    URL or any result on another origin than the base URL's."""
    connection = request.connection
    if connection is None:
        request.url = url
        return
    refused = ApiRequestRefused(
        REFUSED_ABSOLUTE_URL,
        "With an API connection, the URL must be a path relative to its base URL (start it with /).",
    )
    if url.startswith(("//", "\\", "/\\")) or _SCHEME_RE.match(url):
        raise refused
    base_url = connection.base_url
    joined = base_url.rstrip("/") + "/" + url.lstrip("/") if url else base_url
    base_origin = url_origin(base_url)
    if base_origin is None or url_origin(joined) != base_origin:
        raise refused
    request.url = joined


def api_request_send(request: ApiRequest, *, max_bytes: int | None = None) -> ApiResult:
    """Send `request` through the outbound guard with the connection's credentials set last.

    Never raises for what the network or the guard does: a refused URL, a timeout, a response too
    large come back as `ApiResult.error`."""
    headers = CaseInsensitiveDict(request.headers)
    params, key_name = request._params_with_key(request._secret)
    # The key goes as a parameter of the connection's origin: kept on a redirect that stays there only.
    origin_params = {key_name: params.pop(key_name)} if key_name else {}
    sensitive = set(request.sensitive_headers)
    connection, secret = request.connection, request._secret
    if connection is not None:
        kind = connection.auth_type
        if kind == ApiConnection.AuthType.BEARER:
            headers["Authorization"] = f"Bearer {secret}"
        elif kind == ApiConnection.AuthType.BASIC:
            headers["Authorization"] = f"Basic {basic_auth_token(connection.auth_name, secret)}"
        elif kind == ApiConnection.AuthType.HEADER and connection.auth_name:
            headers[connection.auth_name] = secret
            sensitive.add(connection.auth_name)
    return api_result(
        request,
        lambda: outbound_request(
            request.method,
            request.url,
            headers={name: _header_value(value) for name, value in headers.items()},
            params=params,
            data=request.body,
            timeout=request.timeout,
            max_bytes=max_bytes,
            sensitive_headers=sensitive,
            origin_params=origin_params,
        ),
    )


def api_result(request: ApiRequest, send: Callable[[], OutboundResponse]) -> ApiResult:
    """Run `send` (one request through the outbound guard, made for `request`) and capture what
    came back, the guard's errors included."""
    started = time.monotonic()
    try:
        response = send()
    except OutboundError as exc:
        return ApiResult(request, None, exc, int((time.monotonic() - started) * 1000))
    return ApiResult(request, response, None, response.elapsed_ms)


# --- URLs and secrets ------------------------------------------------------------------------------


def url_origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) as requests will see the URL once prepared, or None when it cannot."""
    prepared = requests.models.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        parts = urlsplit(prepared.url or "")
        return parts.scheme.lower(), (parts.hostname or "").lower().rstrip("."), parts.port
    except (requests.exceptions.RequestException, ValueError):
        return None


def _with_params(url: str, params: Mapping[str, str]) -> str:
    if not params:
        return url
    prepared = requests.models.PreparedRequest()
    try:
        prepared.prepare_url(url, dict(params))
    except (requests.exceptions.RequestException, ValueError):
        return url
    return prepared.url or url


def url_redact(url: str, *, secrets: Iterable[str] = (), secret_params: Iterable[str] = ()) -> str:
    """A URL safe for logs: userinfo and the values of secret-looking (or named) query parameters
    become `***`, and every given secret is replaced wherever it appears."""
    secret_params = {name.lower() for name in secret_params}
    try:
        parts = urlsplit(url)
    except ValueError:
        return secret_redact(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = REDACTED + "@" + netloc.rpartition("@")[2]
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        name, has_value, _value = pair.partition("=")
        decoded = unquote_plus(name)
        if has_value and (decoded.lower() in secret_params or SECRET_NAME_RE.search(decoded)):
            pairs.append(f"{name}={REDACTED}")
        else:
            pairs.append(pair)
    redacted = urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment))
    return secret_redact(redacted, secrets)


def _secret_spellings(connection: ApiConnection, secret: str) -> list[str]:
    if not secret:
        return []
    spellings = {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote_plus(secret),
        quote_plus(secret, safe="/"),
        json.dumps(secret)[1:-1],
    }
    if connection.auth_type == ApiConnection.AuthType.BASIC:
        spellings.add(basic_auth_token(connection.auth_name, secret))
    # Longest first, so a spelling that contains another is replaced whole.
    return sorted(spellings, key=len, reverse=True)


def _header_value(value: str) -> str:
    """Non-ASCII header values go out as UTF-8 bytes. http.client writes a str header as latin-1
    (and fails on anything outside it), so hand it the UTF-8 bytes spelled as latin-1."""
    return value if value.isascii() else value.encode("utf-8").decode("latin-1")
