import functools
import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

import redis
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.logs import AtMostEvery

logger = logging.getLogger(__name__)


class IPScopedRateThrottle(SimpleRateThrottle):
    """Counts per client IP (taken with NUM_PROXIES, so a forged X-Forwarded-For does not
    reset the count) under the view's `throttle_scope`, whether or not the caller is logged in.

    A fixed-window counter rather than DRF's list of timestamps: one atomic increment per
    request, so counts stay right across processes and the cost does not grow with the rate.
    With the Redis cache it is one round trip (SET NX EX, INCR in a pipeline); Django's cache
    API would take two or three.
    """

    scope_attr = "throttle_scope"
    cache = cache

    def get_rate(self):
        # Read the rates now, not at import (DRF's class attribute), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope] if self.scope else None

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        key = f"throttle:{self.scope}:{self.get_ident(request)}:{window}"
        client = _redis_client() if self.cache is cache else None
        if client is not None:
            count = _redis_count(client, key, self.duration + 1)
            if count is None:  # Redis is unreachable: fail open rather than refuse everyone
                return True
        else:
            try:
                count = self.cache.incr(key)
            except ValueError:  # the window's first request (or its counter was evicted)
                # add() fails only if another process opened the window first: count on from it.
                count = 1 if self.cache.add(key, 1, timeout=self.duration + 1) else self.cache.incr(key)
        self.window_end = (window + 1) * self.duration
        self.now = now
        return count <= self.num_requests

    def wait(self):
        return max(1, int(self.window_end - self.now + 0.999))


class UserScopedRateThrottle(IPScopedRateThrottle):
    """The same counter per account: owner actions that send requests out or cost real work
    (test sends, previews, password changes). The views require a login, so the caller is
    always known; an anonymous caller would be counted by IP."""

    def get_ident(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user-{user.pk}"
        return super().get_ident(request)


def _redis_client():
    """A redis-py client on the default cache's (write) server when that cache is Django's Redis
    cache, one connection pool per process; else None."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    return _client_for(location if isinstance(location, str) else ",".join(location))


@functools.cache
def _client_for(location: str):
    # Short timeouts: an unreachable Redis (or one that accepts and never answers) must cost
    # a request a fraction of a second, not the OS's connect timeout.
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return redis.Redis.from_url(location.split(",")[0], socket_connect_timeout=timeout, socket_timeout=timeout)


# After Redis fails, requests skip it for this long (no timeout to wait out on each of them);
# the warning is logged at most once per WARNING_INTERVAL.
RETRY_AFTER_FAILURE = 5.0
WARNING_INTERVAL = 60.0
_redis_state = {"down_until": 0.0}
_redis_warning_due = AtMostEvery(WARNING_INTERVAL)


def _redis_count(client, key: str, expiry: int) -> int | None:
    """The window's count after this request (one round trip), or None while Redis is down."""
    if redis_skipped():
        return None
    try:
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=expiry, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]
    except redis.RedisError as exc:
        redis_failed(exc)
        return None


def redis_skipped() -> bool:
    """Whether Redis failed a moment ago (RETRY_AFTER_FAILURE): the throttle and the cache
    (config/cache.py) do without it meanwhile."""
    return time.monotonic() < _redis_state["down_until"]


def redis_failed(exc: Exception) -> None:
    """Note that Redis failed: it is skipped for a few seconds, and a warning is logged (at
    most once a minute, so an outage does not flood the logs)."""
    _redis_state["down_until"] = time.monotonic() + RETRY_AFTER_FAILURE
    if _redis_warning_due():
        logger.warning(
            "Redis is unreachable (%s); rate limits are not enforced and the cache is bypassed until it is back.", exc
        )


def redis_status() -> str | None:
    """ "ok" or "unavailable" for the cache's Redis (one PING), None when no Redis is configured."""
    client = _redis_client()
    if client is None:
        return None
    try:
        client.ping()
    except redis.RedisError as exc:
        redis_failed(exc)
        return "unavailable"
    return "ok"
