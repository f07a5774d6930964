import contextlib
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from email.message import Message
from json import loads as json_loads
from typing import Any
from urllib.parse import quote_plus, unquote_plus, urljoin, urlsplit, urlunsplit

from django.conf import settings

import requests
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import ReadTimeoutError

from .exceptions import (
    OutboundBlocked,
    OutboundConnectionError,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
)
from .policy import Target, target_check_static, target_parse, target_resolve, url_precheck
from .transport import PinnedAdapter, Route, Watchdog

logger = logging.getLogger(__name__)

USER_AGENT = "ChatbotBuilder/1.0"
MAX_TIMEOUT = 30.0
ALLOWED_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Always dropped when a redirect leaves the origin, on top of what the caller marks sensitive.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_BODY_HEADERS = ("Content-Length", "Content-Type", "Transfer-Encoding")
_CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes
    url: str  # final URL after redirects
    elapsed_ms: int

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return json_loads(self.body)

    def text(self) -> str:
        """The body decoded with the charset of Content-Type (UTF-8 when absent or unknown)."""
        message = Message()
        message["content-type"] = self.headers.get("content-type", "")
        charset = message.get_content_charset() or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def outbound_check_url(url: str) -> None:
    """Validate a URL without connecting or resolving DNS (used when a URL is saved).

    Checks the scheme, userinfo, host and port, the name deny list and, when the host is an IP literal
    in any spelling, the address. A name that resolves to a private address passes here and is refused
    by `outbound_request` when it is used. Raises OutboundBlocked.
    """
    url_precheck(url)
    target_check_static(target_parse(_prepare_url(url)))


def outbound_request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    data: bytes | str | None = None,
    json: Any = None,
    timeout: float = 10.0,
    max_bytes: int | None = None,
    sensitive_headers: Collection[str] = (),
    origin_params: Mapping[str, str] | None = None,
) -> OutboundResponse:
    """Send one HTTP request through the SSRF guard and return the whole (capped) response.

    Every hop (the first request and up to OUTBOUND_MAX_REDIRECTS redirects) is checked the same way:
    http/https only, no userinfo, the name deny list, one DNS lookup whose every answer must be a public
    address unless the host is in OUTBOUND_ALLOWED_HOSTS, and a connection pinned to the checked address.
    `timeout` (clamped to 30 s) bounds each read and the whole call; the connect timeout is
    OUTBOUND_CONNECT_TIMEOUT. Headers in `sensitive_headers`, Authorization and Cookie are dropped when
    a redirect changes origin. `origin_params` (query parameters, such as an API key) go with every hop
    that stays on the first request's origin; from the first hop that leaves it on, parameters of those
    names are removed from every URL, whatever the redirect said. A caller's Host header is ignored.
    Non-2xx statuses are returned.

    Raises OutboundBlocked, OutboundTimeout, OutboundTooLarge or OutboundConnectionError, all
    subclasses of OutboundError. Raises ValueError for arguments no caller should pass (non-positive
    timeout or max_bytes, both `data` and `json`).
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if max_bytes is not None and max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if data is not None and json is not None:
        raise ValueError("pass data or json, not both")
    method = method.upper()
    if method not in ALLOWED_METHODS:
        raise OutboundBlocked("This HTTP method is not allowed.")
    url_precheck(url)

    limit = settings.OUTBOUND_MAX_RESPONSE_BYTES
    if max_bytes is not None:
        limit = min(max_bytes, limit)
    read_timeout = min(timeout, MAX_TIMEOUT)
    drop_on_origin_change = SENSITIVE_HEADERS | {name.lower() for name in sensitive_headers}

    if isinstance(data, str):
        # http.client would encode a str body as latin-1 and fail on anything else.
        data = data.encode("utf-8")
    merged_headers = CaseInsensitiveDict({"User-Agent": USER_AGENT})
    for name, value in (headers or {}).items():
        # http.client encodes header values as latin-1; anything else goes as UTF-8 bytes.
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                value = value.encode("utf-8")
        merged_headers[name] = value
    # The Host header must match the pinned connection's name; virtual-host tricks are not offered.
    merged_headers.pop("Host", None)
    try:
        request = requests.Request(
            method,
            url,
            headers=dict(merged_headers),
            params={**(params or {}), **(origin_params or {})},
            data=data,
            json=json,
        ).prepare()
    except requests.exceptions.InvalidHeader as exc:
        raise OutboundBlocked("A request header is not valid.") from exc
    except requests.exceptions.InvalidJSONError as exc:
        raise OutboundBlocked("The JSON body is not valid.") from exc
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise OutboundBlocked("The URL is not valid.") from exc

    started = time.monotonic()
    watchdog = Watchdog(read_timeout)
    try:
        return _send_following_redirects(
            request,
            watchdog=watchdog,
            read_timeout=read_timeout,
            limit=limit,
            drop_on_origin_change=drop_on_origin_change,
            origin_params=dict(origin_params or {}),
            started=started,
        )
    finally:
        watchdog.stop()


def _prepare_url(url: str) -> str:
    request = PreparedRequest()
    try:
        request.prepare_url(url, None)
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise OutboundBlocked("The URL is not valid.") from exc
    return request.url or ""


def _check_hop(request: PreparedRequest, watchdog: Watchdog) -> Route:
    target: Target = target_parse(request.url or "")
    try:
        target_check_static(target)
        address = target_resolve(target)
    except OutboundBlocked as exc:
        # Worth a look: repeated refusals are how an SSRF probe shows up. No URL path or query logged.
        logger.warning("Outbound request to host %r blocked: %s", target.host, exc.message)
        raise
    if watchdog.expired:
        raise OutboundTimeout()
    return Route(host=target.host, port=target.port, address=address)


def _send_following_redirects(
    request: PreparedRequest,
    *,
    watchdog: Watchdog,
    read_timeout: float,
    limit: int,
    drop_on_origin_change: frozenset[str],
    origin_params: dict[str, str],
    started: float,
) -> OutboundResponse:
    max_redirects = settings.OUTBOUND_MAX_REDIRECTS
    redirects = 0
    left_origin = False
    while True:
        route = _check_hop(request, watchdog)
        adapter = PinnedAdapter(route, watchdog)
        try:
            response = _send(adapter, request, watchdog=watchdog, read_timeout=read_timeout)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                body = _read_body(response, request.method or "", watchdog=watchdog, limit=limit)
                return OutboundResponse(
                    status=response.status_code,
                    headers={name.lower(): value for name, value in response.headers.items()},
                    body=body,
                    url=request.url or "",
                    elapsed_ms=int((time.monotonic() - started) * 1000),
                )
            response.close()
        finally:
            adapter.close()

        redirects += 1
        if redirects > max_redirects:
            raise OutboundBlocked("Too many redirects.")
        previous = request
        request = _redirect_request(previous, response.status_code, location, drop_on_origin_change)
        left_origin = left_origin or target_parse(previous.url or "").origin != target_parse(request.url or "").origin
        if origin_params:
            request.url = _query_with(request.url or "", {} if left_origin else origin_params, origin_params)


def _send(
    adapter: PinnedAdapter, request: PreparedRequest, *, watchdog: Watchdog, read_timeout: float
) -> requests.Response:
    remaining = watchdog.remaining()
    if remaining <= 0:
        raise OutboundTimeout()
    connect_timeout = min(settings.OUTBOUND_CONNECT_TIMEOUT, remaining)
    try:
        # Sent through the adapter, not a Session: Session.send would read a redirect's whole body
        # (uncapped), and Session.request would consult proxy variables and ~/.netrc.
        response = adapter.send(
            request,
            stream=True,
            timeout=(connect_timeout, min(read_timeout, remaining)),
            verify=True,
            proxies={},
        )
    except OutboundError:
        raise
    except requests.exceptions.Timeout as exc:
        raise OutboundTimeout() from exc
    except requests.exceptions.SSLError as exc:
        raise OutboundConnectionError("The TLS connection failed.") from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        if watchdog.expired:
            raise OutboundTimeout() from exc
        raise OutboundConnectionError() from exc
    if watchdog.expired:
        # The shutdown looks like end-of-headers to http.client, so a cut response can parse as whole.
        response.close()
        raise OutboundTimeout()
    return response


def _read_body(response: requests.Response, method: str, *, watchdog: Watchdog, limit: int) -> bytes:
    try:
        declared = int(response.headers.get("Content-Length", ""))
    except ValueError:
        declared = None
    if method != "HEAD" and declared is not None and declared > limit:
        response.close()
        raise OutboundTooLarge()

    body = bytearray()
    try:
        for chunk in response.raw.stream(_CHUNK_SIZE, decode_content=True):
            body += chunk
            if len(body) > limit:
                raise OutboundTooLarge()
            if watchdog.expired:
                raise OutboundTimeout()
    except OutboundError:
        response.close()
        raise
    except ReadTimeoutError as exc:
        response.close()
        raise OutboundTimeout() from exc
    except (Urllib3HTTPError, OSError) as exc:
        response.close()
        if watchdog.expired:
            raise OutboundTimeout() from exc
        raise OutboundConnectionError("The response could not be read.") from exc
    if watchdog.expired:
        # A body delimited by the connection's close is indistinguishable from one cut by the watchdog.
        raise OutboundTimeout()
    return bytes(body)


def _redirect_request(
    previous: PreparedRequest, status: int, location: str, drop_on_origin_change: frozenset[str]
) -> PreparedRequest:
    # Servers send Location as raw bytes; http.client hands them over as latin-1.
    with contextlib.suppress(UnicodeError):
        location = location.encode("latin-1").decode("utf-8")
    next_url = urljoin(previous.url or "", location)
    url_precheck(next_url)

    request = previous.copy()
    try:
        request.prepare_url(next_url, None)
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise OutboundBlocked("The redirect URL is not valid.") from exc
    # Browsers turn a POST into a GET on 301/302, and anything but HEAD into a GET on 303.
    if (status == 303 and request.method != "HEAD") or (status in (301, 302) and request.method == "POST"):
        request.method = "GET"
        request.body = None
        for name in _BODY_HEADERS:
            request.headers.pop(name, None)
    if target_parse(previous.url or "").origin != target_parse(request.url or "").origin:
        for name in [name for name in request.headers if name.lower() in drop_on_origin_change]:
            del request.headers[name]
    return request


def _query_with(url: str, params: Mapping[str, str], names: Collection[str]) -> str:
    """`url` without any query parameter named in `names` (in any case), then with `params`."""
    parts = urlsplit(url)
    drop = {name.lower() for name in names}
    pairs = [
        pair for pair in parts.query.split("&") if pair and unquote_plus(pair.partition("=")[0]).lower() not in drop
    ]
    pairs += [f"{quote_plus(name)}={quote_plus(value)}" for name, value in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pairs), parts.fragment))
