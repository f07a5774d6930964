"""Network isolation for tests that send HTTP: a fake resolver and a guard on socket.connect.

A module that marks itself `pytest.mark.usefixtures("dns", "network", "outbound_settings")`
(registered for the whole suite in tests/conftest.py) keeps every packet on loopback:
names resolve only from the fake table (IP literals in any spelling resolve locally), and any
connection outside loopback fails the test.
"""

import errno
import socket
from collections.abc import Iterator

import pytest

_REAL_GETADDRINFO = socket.getaddrinfo
_REAL_CONNECT = socket.socket.connect
LOOPBACK = frozenset({"127.0.0.1", "::1"})


class FakeDNS:
    """`answers[name] = [addresses]` answers every lookup alike; `add(name, [..], [..])` gives
    one list per lookup in order (the last one keeps being given), to play DNS rebinding."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self._sequences: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def add(self, name: str, *answers: list[str]) -> None:
        self._sequences[name] = list(answers)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # socket.getaddrinfo signature
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.lookups.append(name)
        key = name.lower().rstrip(".")
        queue = self._sequences.get(key)
        addresses = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else self.answers.get(key)
        if addresses is not None:
            return [_addrinfo(address, port) for address in addresses]
        try:
            return _REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, f"fake DNS has no answer for {name}") from None


def _addrinfo(address: str, port) -> tuple:
    port = int(port or 0)
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


class NetworkGuard:
    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.refused: list[tuple[str, int]] = []

    def connect(self, sock: socket.socket, address) -> None:
        target = (address[0], address[1])
        if address[0] in LOOPBACK:
            self.connected.append(target)
            return _REAL_CONNECT(sock, address)
        self.refused.append(target)
        raise ConnectionRefusedError(errno.ECONNREFUSED, "refused by the test network guard")

    def take_refused(self) -> list[tuple[str, int]]:
        refused, self.refused = self.refused, []
        return refused


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def network(monkeypatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: guard.connect(sock, address))
    yield guard
    assert guard.refused == [], f"tried to connect outside loopback: {guard.refused}"


@pytest.fixture
def outbound_settings(settings) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = []
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1024 * 1024
    settings.OUTBOUND_CONNECT_TIMEOUT = 2.0
    settings.OUTBOUND_MAX_REDIRECTS = 3


def free_port() -> int:
    """A loopback port nothing listens on (the kernel picked it free just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused at once."""
    return free_port()
