"""Settings of the server `make fuzz` starts: the project's own, with the network shut.

The fuzzer sends test-api, test-webhook and http_request nodes any URL it can think of; the
outbound guard already refuses private addresses, and here no name resolves and no connection
leaves loopback either, so nothing a fuzzed request names is ever contacted.
"""

import socket

from config.settings import *  # noqa: F403

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # socket.getaddrinfo's signature
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name not in _LOOPBACK:
        flags |= socket.AI_NUMERICHOST  # IP literals only: no DNS query ever leaves the machine
    return _real_getaddrinfo(host, port, family, type, proto, flags)


def _connect(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
        raise ConnectionRefusedError(f"make fuzz: no connection outside loopback ({address[0]})")
    return _real_connect(sock, address)


socket.getaddrinfo = _getaddrinfo
socket.socket.connect = _connect

WEBHOOK_DELIVERY = "worker"  # nothing delivers while fuzzing
# Thousands of 4xx are what the fuzzer asks for: only errors (a 500 and its traceback) are shown.
LOGGING = {**LOGGING, "handlers": {"console": {**LOGGING["handlers"]["console"], "level": "ERROR"}}}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OUTBOUND_ALLOWED_HOSTS = []
