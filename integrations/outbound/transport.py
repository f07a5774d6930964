"""A requests adapter whose connections go to one address that the guard has already checked.

The adapter is built for one hop of one call. Its connections keep the URL's host name, so the Host
header, TLS SNI and certificate verification all use the name, while the socket is opened to the pinned
address: urllib3 never resolves the name again, which closes the DNS-rebinding gap between check and use.
"""

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from .exceptions import OutboundBlocked
from .policy import host_normalise


@dataclass(frozen=True)
class Route:
    host: str  # normalised host of the hop, as checked
    port: int
    address: str  # the checked address the socket must reach


class Watchdog:
    """Enforces one wall-clock deadline over a whole call.

    Socket timeouts bound each read, not a response: a server trickling a byte a second never trips
    them, in the headers, the TLS handshake or the body. When the deadline passes, every socket of the
    call is shut down, which wakes any blocked read; the caller then sees `expired` and reports a timeout.
    The watchdog keeps its own duplicate of each socket, so a shutdown can never hit a descriptor that
    was closed and reused elsewhere, and it still reaches a socket that TLS wrapping has taken over.
    """

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._fired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._deadline

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock.dup())
            if self._fired:
                self._shutdown_all()

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            self._shutdown_all()

    def _shutdown_all(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _PinnedConnectionMixin:
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def __init__(self, *args: Any, route: Route, watchdog: Watchdog, **kwargs: Any) -> None:
        self._route = route
        self._watchdog = watchdog
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        # Catches any disagreement between our URL parsing and urllib3's before a packet is sent.
        if host_normalise(self.host) != self._route.host or self.port != self._route.port:
            raise OutboundBlocked("The URL is not valid.")
        try:
            sock = urllib3_connection.create_connection(
                (self._route.address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc
        self._watchdog.watch(sock)
        return sock


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedPoolManager(PoolManager):
    def __init__(self, *, route: Route, watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._route = route
        self._watchdog = watchdog
        self.pool_classes_by_scheme = {"http": _PinnedHTTPConnectionPool, "https": _PinnedHTTPSConnectionPool}

    def _new_pool(
        self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None
    ) -> HTTPConnectionPool:
        # Pools pass unknown keyword arguments on to every connection they create.
        context = dict(self.connection_pool_kw if request_context is None else request_context)
        context.update(route=self._route, watchdog=self._watchdog)
        return super()._new_pool(scheme, host, port, context)


class PinnedAdapter(HTTPAdapter):
    """Sends one hop to `route.address`; no retries, no proxies."""

    def __init__(self, route: Route, watchdog: Watchdog) -> None:
        # Set before super().__init__, which builds the pool manager.
        self._route = route
        self._watchdog = watchdog
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _PinnedPoolManager(
            route=self._route,
            watchdog=self._watchdog,
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            **pool_kwargs,
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # A proxy would resolve the name itself and defeat the pinning.
        raise OutboundBlocked("Proxies are not supported.")
