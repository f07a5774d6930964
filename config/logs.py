"""Logging helpers shared by the outage warnings (the database, Redis)."""

import time


class AtMostEvery:
    """True at most once per `seconds` (per process): an outage that every request meets is
    logged once in a while, not once per request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.reset()

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.seconds:
            return False
        self.last = now
        return True

    def reset(self) -> None:
        self.last = float("-inf")
