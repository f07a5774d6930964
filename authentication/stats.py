"""Per-user figures for `GET /api/auth/stats/`.

Authentication sits below every other app, so it cannot query their models. Each app that
owns a figure registers a counter from its AppConfig.ready(); a figure nobody registered is 0.
"""

from collections.abc import Callable

STAT_NAMES = ("chatbots", "flows", "sessions", "messages")

_counters: dict[str, Callable] = {}


def stat_register(name: str, counter: Callable) -> None:
    if name not in STAT_NAMES:
        raise ValueError(f"Unknown stat {name!r}; add it to STAT_NAMES first.")
    _counters[name] = counter


def user_stats(user) -> dict[str, int]:
    return {name: (_counters[name](user) if name in _counters else 0) for name in STAT_NAMES}
