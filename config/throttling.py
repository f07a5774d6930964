from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class IPScopedRateThrottle(SimpleRateThrottle):
    """Counts per client IP (taken with NUM_PROXIES, so a forged X-Forwarded-For does not
    reset the count) under the view's `throttle_scope`, whether or not the caller is logged in."""

    scope_attr = "throttle_scope"

    def allow_request(self, request, view):
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        # Read the rates now, not at import (DRF's class attribute), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope] if self.scope else None

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
