"""Django's Redis cache, failing soft: Redis down is a cache miss, never a 500.

The cache only ever holds what can be recomputed (a version's derived facts, a provider's
published metadata), so while Redis cannot be reached every read is a miss and every write
is dropped. The failure is reported like the throttle's (config.throttling.redis_failed):
Redis is skipped for a few seconds, so requests do not each wait out the socket timeout, and
a warning is logged at most once a minute.
"""

import functools

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

import redis

from config.throttling import redis_failed, redis_skipped


class FailSoftRedisCache(RedisCache):
    def _attempt(self, call, fallback):
        if redis_skipped():
            return fallback
        try:
            return call()
        except redis.RedisError as exc:
            redis_failed(exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._attempt(functools.partial(super().get, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._attempt(functools.partial(super().get_many, keys, version), {})

    def has_key(self, key, version=None):
        return self._attempt(functools.partial(super().has_key, key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._attempt(functools.partial(super().set, key, value, timeout, version), None)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Not stored: callers treating add() as "first one wins" see that nobody won.
        return self._attempt(functools.partial(super().add, key, value, timeout, version), False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(functools.partial(super().set_many, data, timeout, version), list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(functools.partial(super().touch, key, timeout, version), False)

    def delete(self, key, version=None):
        return self._attempt(functools.partial(super().delete, key, version), False)

    def delete_many(self, keys, version=None):
        self._attempt(functools.partial(super().delete_many, keys, version), None)

    def clear(self):
        return self._attempt(super().clear, False)

    def incr(self, key, delta=1, version=None):
        # A missing key is what incr() reports as ValueError (decr() goes through here too).
        missing = object()
        result = self._attempt(functools.partial(super().incr, key, delta, version), missing)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return result
