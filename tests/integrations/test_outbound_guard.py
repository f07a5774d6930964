"""The outbound SSRF guard: every test stays on loopback.

A fake resolver answers the names the tests need (and records every lookup); a guard on
socket.connect refuses, records and fails the test for any address outside loopback. Local servers
come from pytest-httpserver and are reached only through OUTBOUND_ALLOWED_HOSTS.
"""

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
import requests.adapters
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.outbound import (
    OutboundBlocked,
    OutboundConnectionError,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
    outbound_check_url,
    outbound_request,
)
from integrations.outbound import client as outbound_client

PUBLIC_IP = "93.184.216.34"

pytestmark = pytest.mark.usefixtures("dns", "network", "outbound_settings")


def _start_server(**kwargs) -> HTTPServer:
    # Threaded, so a handler that sleeps does not hold up the next test, and HTTP/1.1 for chunked bodies.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True, **kwargs)
    server.start()
    return server


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    server = _start_server()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="session")
def _other_server() -> Iterator[HTTPServer]:
    server = _start_server()
    yield server
    server.stop()


@pytest.fixture
def other_httpserver(_other_server) -> HTTPServer:
    _other_server.clear()
    return _other_server


@pytest.fixture
def server(httpserver, settings) -> HTTPServer:
    """The local server, opened on its own port only."""
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}"]
    return httpserver


def _requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


# --- Refused targets ------------------------------------------------------------------------------

STATIC_VECTORS = [
    # loopback in every spelling
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "https://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    # unspecified
    "http://0.0.0.0/",
    "http://[::]/",
    # private
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    # link-local and cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    # carrier-grade NAT, multicast, reserved, broadcast
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    # IPv4 hidden in IPv6
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b:1::808:808]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[2002:7f00:1::]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    # unique-local, site-local, documentation and benchmark ranges
    "http://[fc00::1]/",
    "http://[fd12::1]/",
    "http://[fec0::1]/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    "http://[2001:db8::1]/",
    # names refused before resolution
    "http://localhost/",
    "http://localhost:8000/",
    "http://foo.localhost/",
    "http://LOCALHOST./",
    "http://metadata/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://Metadata.Google.Internal./",
    # schemes
    "file:///etc/passwd",
    "gopher://example.com/",
    "ftp://example.com/",
    "dict://example.com:11211/",
    "javascript:alert(1)",
    "data:text/plain,hello",
    # userinfo
    "http://user:pw@example.com/",
    "http://user@example.com/",
    "http://@example.com/",
    "http://example.com@127.0.0.1/",
    "http://example.com\\@127.0.0.1/",
    # missing host, bad port, no scheme
    "http:///path",
    "http://",
    "http://example.com:99999/",
    "http://example.com:abc/",
    "http://example.com:0/",
    "example.com/no-scheme",
]

# Names that look harmless; only their (fake) DNS answers are forbidden.
DNS_VECTORS = {
    "internal.example": [["10.1.2.3"]],
    "metadata-alias.example": [["169.254.169.254"]],
    "mixed.example": [[PUBLIC_IP, "10.0.0.7"]],
    "mixed6.example": [["2606:2800:220:1:248:1893:25c8:1946", "::1"]],
    "mapped.example": [["::ffff:127.0.0.1"]],
    "nat64.example": [["64:ff9b::a9fe:a9fe"]],
    "cgnat.example": [["100.100.100.200"]],
}


@pytest.mark.parametrize("url", STATIC_VECTORS)
def test_request_to_forbidden_target_is_refused(url, network):
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", url)
    assert network.connected == []


@pytest.mark.parametrize("url", STATIC_VECTORS)
def test_check_url_refuses_forbidden_target(url):
    with pytest.raises(OutboundBlocked):
        outbound_check_url(url)


@pytest.mark.parametrize("name", sorted(DNS_VECTORS))
def test_name_resolving_to_forbidden_address_is_refused(name, dns, network):
    dns.add(name, *DNS_VECTORS[name])
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", f"http://{name}/")
    assert network.connected == []


def test_check_url_does_not_resolve_names(dns):
    dns.add("internal.example", ["10.1.2.3"])
    outbound_check_url("http://internal.example/hook")
    outbound_check_url("https://api.example.com/v1?x=1")
    assert dns.lookups == []


def test_nat64_address_of_public_ipv4_passes_the_address_check():
    outbound_check_url("http://[64:ff9b::808:808]/")


def test_refusal_message_does_not_echo_the_url(dns):
    dns.add("internal.example", ["10.1.2.3"])
    with pytest.raises(OutboundBlocked) as excinfo:
        outbound_request("GET", "http://internal.example/?token=s3cret")
    assert "s3cret" not in str(excinfo.value)
    assert "10.1.2.3" not in str(excinfo.value)


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "GET\r\nX-Injected: 1"])
def test_unexpected_method_is_refused(method, server):
    with pytest.raises(OutboundBlocked):
        outbound_request(method, server.url_for("/"))


def test_header_with_line_break_is_refused(server):
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", server.url_for("/"), headers={"X-Test": "a\r\nHost: evil"})


# --- Allow-list -----------------------------------------------------------------------------------


def test_allow_listed_host_and_port_is_opened(server):
    server.expect_request("/ping").respond_with_data("pong")
    response = outbound_request("GET", server.url_for("/ping"))
    assert response.status == 200
    assert response.body == b"pong"


def test_unlisted_loopback_port_is_refused_without_connecting(httpserver, network):
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", httpserver.url_for("/ping"))
    assert network.connected == []


def test_allow_list_entry_with_port_opens_only_that_port(server, other_httpserver, network):
    other_httpserver.expect_request("/ping").respond_with_data("pong")
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", other_httpserver.url_for("/ping"))
    assert network.connected == []


def test_allow_list_entry_without_port_opens_every_port(httpserver, other_httpserver, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    httpserver.expect_request("/a").respond_with_data("a")
    other_httpserver.expect_request("/b").respond_with_data("b")
    assert outbound_request("GET", httpserver.url_for("/a")).body == b"a"
    assert outbound_request("GET", other_httpserver.url_for("/b")).body == b"b"


def test_allow_list_matches_the_host_as_written(httpserver, settings, dns):
    dns.add("localhost", ["127.0.0.1"])
    settings.OUTBOUND_ALLOWED_HOSTS = [f"LocalHost:{httpserver.port}"]
    httpserver.expect_request("/ping").respond_with_data("pong")
    assert outbound_request("GET", f"http://localhost:{httpserver.port}/ping").body == b"pong"
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", httpserver.url_for("/ping"))


def test_allow_listed_name_is_still_pinned_and_keeps_its_host_header(httpserver, settings, dns, network):
    dns.add("api.partner.test", ["127.0.0.1"])
    settings.OUTBOUND_ALLOWED_HOSTS = [f"api.partner.test:{httpserver.port}"]
    httpserver.expect_request("/v1").respond_with_data("ok")
    response = outbound_request("GET", f"http://api.partner.test:{httpserver.port}/v1")
    assert response.body == b"ok"
    assert _requests_to(httpserver, "/v1")[0].headers["Host"] == f"api.partner.test:{httpserver.port}"
    assert dns.lookups.count("api.partner.test") == 1
    assert network.connected == [("127.0.0.1", httpserver.port)]


@pytest.fixture
def ipv6_server() -> Iterator[HTTPServer]:
    try:
        server = HTTPServer(host="::1", port=0, threaded=True)
        server.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    yield server
    server.stop()


def test_allow_list_entry_for_ipv6_literal_opens_that_port(ipv6_server, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = [f"[::1]:{ipv6_server.port}"]
    ipv6_server.expect_request("/").respond_with_data("six")
    assert outbound_request("GET", f"http://[::1]:{ipv6_server.port}/").body == b"six"
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", f"http://[::1]:{ipv6_server.port + 1}/")


# --- DNS rebinding --------------------------------------------------------------------------------


def test_connection_goes_to_the_checked_address_only(dns, network):
    # Public on the check, loopback on any later lookup: a second lookup would reach 127.0.0.1.
    dns.add("rebind.example", [PUBLIC_IP], ["127.0.0.1"])
    with pytest.raises(OutboundConnectionError):
        outbound_request("GET", "http://rebind.example/")
    assert dns.lookups.count("rebind.example") == 1
    assert network.take_refused() == [(PUBLIC_IP, 80)]
    assert network.connected == []


def test_each_redirect_hop_is_resolved_once(httpserver, settings, dns):
    dns.add("api.partner.test", ["127.0.0.1"])
    settings.OUTBOUND_ALLOWED_HOSTS = [f"api.partner.test:{httpserver.port}"]
    base = f"http://api.partner.test:{httpserver.port}"
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": f"{base}/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/c"})
    httpserver.expect_request("/c").respond_with_data("done")
    response = outbound_request("GET", f"{base}/a")
    assert response.body == b"done"
    assert response.url == f"{base}/c"
    assert dns.lookups.count("api.partner.test") == 3


# --- Redirects ------------------------------------------------------------------------------------


def test_redirect_to_unlisted_loopback_port_is_refused(server, other_httpserver, network):
    server.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": other_httpserver.url_for("/secret")}
    )
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", server.url_for("/start"))
    assert other_httpserver.log == []
    assert network.connected == [("127.0.0.1", server.port)]


@pytest.mark.parametrize(
    "location",
    [
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata-alias.example/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "file:///etc/passwd",
        "http://user:pw@example.com/",
    ],
)
def test_redirect_to_forbidden_target_is_refused(location, server, dns, network):
    dns.add("metadata-alias.example", ["169.254.169.254"])
    server.expect_request("/start").respond_with_data("", status=302, headers={"Location": location})
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", server.url_for("/start"))
    assert network.connected == [("127.0.0.1", server.port)]


def _redirect_chain(server: HTTPServer, hops: int) -> None:
    for index in range(hops):
        server.expect_request(f"/r{index}").respond_with_data("", status=302, headers={"Location": f"/r{index + 1}"})
    server.expect_request(f"/r{hops}").respond_with_data("done")


def test_three_redirects_are_followed(server):
    _redirect_chain(server, 3)
    response = outbound_request("GET", server.url_for("/r0"))
    assert response.status == 200
    assert response.body == b"done"
    assert response.url == server.url_for("/r3")


def test_more_than_three_redirects_are_refused(server):
    _redirect_chain(server, 4)
    with pytest.raises(OutboundBlocked):
        outbound_request("GET", server.url_for("/r0"))
    assert _requests_to(server, "/r4") == []


@pytest.mark.parametrize("status", [301, 302, 303])
def test_post_redirected_by_301_302_303_becomes_get(status, server):
    server.expect_request("/form", method="POST").respond_with_data("", status=status, headers={"Location": "/result"})
    server.expect_request("/result", method="GET").respond_with_data("ok")
    response = outbound_request("POST", server.url_for("/form"), json={"a": 1})
    assert response.body == b"ok"
    followed = _requests_to(server, "/result")[0]
    assert followed.method == "GET"
    assert followed.get_data() == b""
    assert "Content-Type" not in followed.headers


@pytest.mark.parametrize("status", [307, 308])
def test_307_and_308_keep_method_and_body(status, server):
    server.expect_request("/form", method="POST").respond_with_data("", status=status, headers={"Location": "/result"})
    server.expect_request("/result", method="POST").respond_with_data("ok")
    response = outbound_request("POST", server.url_for("/form"), json={"a": 1})
    assert response.body == b"ok"
    followed = _requests_to(server, "/result")[0]
    assert followed.get_json() == {"a": 1}
    assert followed.headers["Content-Type"] == "application/json"


def test_authorization_and_sensitive_headers_dropped_on_cross_host_redirect(httpserver, settings, dns):
    dns.add("api.partner.test", ["127.0.0.1"])
    port = httpserver.port
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}", f"api.partner.test:{port}"]
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": f"http://api.partner.test:{port}/next"}
    )
    httpserver.expect_request("/next").respond_with_data("ok")
    outbound_request(
        "GET",
        httpserver.url_for("/start"),
        headers={"Authorization": "Bearer t0ken", "X-Api-Key": "k3y", "Cookie": "s=1", "X-Trace": "abc"},
        sensitive_headers=["x-api-key"],
    )
    assert _requests_to(httpserver, "/start")[0].headers["Authorization"] == "Bearer t0ken"
    followed = _requests_to(httpserver, "/next")[0]
    assert "Authorization" not in followed.headers
    assert "X-Api-Key" not in followed.headers
    assert "Cookie" not in followed.headers
    assert followed.headers["X-Trace"] == "abc"
    assert followed.headers["Host"] == f"api.partner.test:{port}"


def test_authorization_kept_on_same_host_redirect(server):
    server.expect_request("/start").respond_with_data("", status=302, headers={"Location": "/next"})
    server.expect_request("/next").respond_with_data("ok")
    outbound_request("GET", server.url_for("/start"), headers={"Authorization": "Bearer t0ken"})
    assert _requests_to(server, "/next")[0].headers["Authorization"] == "Bearer t0ken"


def test_redirect_body_is_not_read(server):
    # Over the cap on purpose: a redirect's body must be discarded, not buffered.
    server.expect_request("/start").respond_with_data(
        b"x" * (2 * 1024 * 1024), status=302, headers={"Location": "/next"}
    )
    server.expect_request("/next").respond_with_data("ok")
    assert outbound_request("GET", server.url_for("/start")).body == b"ok"


# --- Timeouts -------------------------------------------------------------------------------------


def test_slow_answer_times_out(server):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        outbound_request("GET", server.url_for("/slow"), timeout=0.5)
    assert time.monotonic() - started < 0.9


def test_trickling_body_is_cut_at_the_overall_deadline(server):
    # Each byte comes well within the read timeout; only the whole-call deadline can stop this.
    def trickle(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(200):
                yield b"x"
                time.sleep(0.05)

        return Response(chunks(), mimetype="text/plain")

    server.expect_request("/trickle").respond_with_handler(trickle)
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        outbound_request("GET", server.url_for("/trickle"), timeout=0.5)
    assert time.monotonic() - started < 1.0


@pytest.fixture
def trickling_headers_server(settings) -> Iterator[int]:
    """A raw server that sends its status line, then one header byte every 50 ms for 5 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(100):
                if stop.is_set():
                    return
                try:
                    conn.sendall(b"a")
                except OSError:
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    yield port
    stop.set()
    listener.close()
    thread.join(timeout=2)


def test_trickling_headers_are_cut_at_the_overall_deadline(trickling_headers_server):
    started = time.monotonic()
    with pytest.raises(OutboundTimeout):
        outbound_request("GET", f"http://127.0.0.1:{trickling_headers_server}/", timeout=0.5)
    assert time.monotonic() - started < 1.0


def test_timeouts_come_from_settings_and_are_clamped(server, settings, monkeypatch):
    settings.OUTBOUND_CONNECT_TIMEOUT = 2.5
    seen: dict[str, object] = {}

    class SpyAdapter(outbound_client.PinnedAdapter):
        def send(self, request, **kwargs):
            seen["timeout"] = kwargs["timeout"]
            return super().send(request, **kwargs)

    class SpyWatchdog(outbound_client.Watchdog):
        def __init__(self, seconds: float) -> None:
            seen["deadline"] = seconds
            super().__init__(seconds)

    monkeypatch.setattr(outbound_client, "PinnedAdapter", SpyAdapter)
    monkeypatch.setattr(outbound_client, "Watchdog", SpyWatchdog)
    server.expect_request("/").respond_with_data("ok")
    outbound_request("GET", server.url_for("/"), timeout=120)
    connect, read = seen["timeout"]
    assert connect == 2.5
    assert 29 < read <= 30
    assert seen["deadline"] == 30


# --- Size cap -------------------------------------------------------------------------------------


def _chunked(total: int, chunk: int = 64 * 1024) -> Response:
    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            size = min(chunk, total - sent)
            sent += size
            yield b"\0" * size

    return Response(chunks(), mimetype="application/octet-stream")


def test_streamed_20mb_answer_is_too_large(server):
    server.expect_request("/big").respond_with_handler(lambda request: _chunked(20 * 1024 * 1024))
    with pytest.raises(OutboundTooLarge):
        outbound_request("GET", server.url_for("/big"))


def test_chunked_answer_just_over_the_cap_is_too_large(server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1000
    server.expect_request("/big").respond_with_handler(lambda request: _chunked(1001, chunk=100))
    with pytest.raises(OutboundTooLarge):
        outbound_request("GET", server.url_for("/big"))


def test_answer_of_exactly_the_cap_is_accepted(server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1000
    server.expect_request("/fits").respond_with_handler(lambda request: _chunked(1000, chunk=100))
    assert len(outbound_request("GET", server.url_for("/fits")).body) == 1000


def test_content_length_over_the_cap_is_refused_before_reading(server):
    def announced(request: Request) -> Response:
        def never() -> Iterator[bytes]:
            yield b"x"  # werkzeug sends the headers with the first chunk
            time.sleep(2)

        return Response(never(), headers={"Content-Length": str(20 * 1024 * 1024)})

    server.expect_request("/big").respond_with_handler(announced)
    started = time.monotonic()
    with pytest.raises(OutboundTooLarge):
        outbound_request("GET", server.url_for("/big"))
    assert time.monotonic() - started < 1.0


def test_caller_can_lower_the_cap(server):
    server.expect_request("/").respond_with_data(b"x" * 100)
    with pytest.raises(OutboundTooLarge):
        outbound_request("GET", server.url_for("/"), max_bytes=10)


def test_caller_cannot_raise_the_cap_above_the_setting(server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1000
    server.expect_request("/").respond_with_data(b"x" * 2000)
    with pytest.raises(OutboundTooLarge):
        outbound_request("GET", server.url_for("/"), max_bytes=10**9)


# --- Proxies --------------------------------------------------------------------------------------


def test_proxy_environment_variables_are_ignored(server, monkeypatch, network):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.expect_request("/").respond_with_data("direct")
    assert outbound_request("GET", server.url_for("/")).body == b"direct"
    assert network.connected == [("127.0.0.1", server.port)]


# --- Responses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 404, 500, 503])
def test_non_2xx_status_is_returned_not_raised(status, server):
    server.expect_request("/").respond_with_data("" if status == 204 else "nope", status=status)
    assert outbound_request("GET", server.url_for("/")).status == status


def test_json_answer_is_decoded(server):
    server.expect_request("/").respond_with_json({"ok": True, "items": [1, 2]})
    response = outbound_request("GET", server.url_for("/"))
    assert response.json() == {"ok": True, "items": [1, 2]}
    assert response.headers["content-type"] == "application/json"
    assert response.elapsed_ms >= 0


def test_non_json_answer_raises_value_error(server):
    server.expect_request("/").respond_with_data("<html>")
    with pytest.raises(ValueError):
        outbound_request("GET", server.url_for("/")).json()


def test_text_uses_the_declared_charset(server):
    server.expect_request("/").respond_with_data("café".encode("latin-1"), content_type="text/plain; charset=latin-1")
    assert outbound_request("GET", server.url_for("/")).text() == "café"


def test_request_sends_params_json_and_default_user_agent(server):
    server.expect_request("/hook", method="POST", query_string={"q": "a b"}).respond_with_data("ok")
    outbound_request("POST", server.url_for("/hook"), params={"q": "a b"}, json={"name": "Zoë"})
    received = _requests_to(server, "/hook")[0]
    assert received.get_json() == {"name": "Zoë"}
    assert received.headers["User-Agent"] == "ChatbotBuilder/1.0"


def test_caller_user_agent_wins_and_host_header_is_ignored(server):
    server.expect_request("/").respond_with_data("ok")
    outbound_request("GET", server.url_for("/"), headers={"user-agent": "Custom/2", "Host": "internal.admin"})
    received = _requests_to(server, "/")[0]
    assert received.headers["User-Agent"] == "Custom/2"
    assert received.headers["Host"] == f"127.0.0.1:{server.port}"


def test_text_data_is_sent_as_utf8(server):
    server.expect_request("/", method="PUT").respond_with_data("ok")
    outbound_request("PUT", server.url_for("/"), data="naïve ✓")
    assert _requests_to(server, "/")[0].get_data() == "naïve ✓".encode()


def test_refused_connection_is_a_connection_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    with pytest.raises(OutboundConnectionError) as excinfo:
        outbound_request("GET", f"http://127.0.0.1:{port}/")
    assert isinstance(excinfo.value, OutboundError)


def test_unknown_name_is_a_connection_error():
    with pytest.raises(OutboundConnectionError):
        outbound_request("GET", "http://does-not-exist.example/")


# --- TLS through a pinned connection ------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[tuple[HTTPServer, str, list[str]]]:
    """An HTTPS server whose certificate is for `secure.test`, signed by a throwaway CA."""
    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(tz=datetime.UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate("Test CA", ca_key, "Test CA", ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = certificate("secure.test", leaf_key, "Test CA", ca_key, ca=False)
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_path = directory / "leaf.pem"
    chain_path.write_bytes(
        leaf_cert.public_bytes(serialization.Encoding.PEM)
        + leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    server_names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_path)
    context.sni_callback = lambda sslobj, name, ctx: server_names.append(name)
    server = _start_server(ssl_context=context)
    yield server, str(ca_path), server_names
    server.stop()


@pytest.fixture
def trusted_tls_server(tls_server, monkeypatch, dns, settings) -> tuple[HTTPServer, list[str]]:
    server, ca_path, server_names = tls_server
    server.clear()
    server_names.clear()
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", ca_path)
    dns.add("secure.test", ["127.0.0.1"])
    dns.add("wrong-name.test", ["127.0.0.1"])
    settings.OUTBOUND_ALLOWED_HOSTS = [f"secure.test:{server.port}", f"wrong-name.test:{server.port}"]
    return server, server_names


def test_https_verifies_the_certificate_against_the_url_host_name(trusted_tls_server, network):
    server, server_names = trusted_tls_server
    server.expect_request("/hello").respond_with_data("secure")
    response = outbound_request("GET", f"https://secure.test:{server.port}/hello")
    assert response.body == b"secure"
    assert server_names == ["secure.test"]
    assert _requests_to(server, "/hello")[0].headers["Host"] == f"secure.test:{server.port}"
    assert network.connected == [("127.0.0.1", server.port)]


def test_https_certificate_for_another_name_is_rejected(trusted_tls_server):
    server, _ = trusted_tls_server
    with pytest.raises(OutboundConnectionError):
        outbound_request("GET", f"https://wrong-name.test:{server.port}/hello")
