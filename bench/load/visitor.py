"""What a visitor answers to a Turn's pending input.

Imported both by the seeding (in the app's virtualenv) and by the locustfile (in locust's),
so it imports nothing but the standard library."""

import random

_TEXTS = ("Ana", "Bruno", "Chloé", "Dmitri", "Eve", "Fatima", "Gus", "Hiro")


def answer(turn_input: dict, rng: random.Random) -> object:
    """A valid reply value for `turn_input` (a Turn's `input`), varied so that branches differ."""
    kind, options = turn_input["type"], turn_input.get("options") or {}
    if kind in ("choice", "picture_choice"):
        choice = rng.choice(turn_input["choices"])["id"]
        return [choice] if options.get("multiple") else choice
    if kind == "rating":
        return rng.randint(options.get("min", 0), options.get("max", 5))
    if kind == "number_input":
        low = options.get("min")
        return low if low is not None else rng.randint(1, 100)
    if kind == "email_input":
        return f"visitor{rng.randint(1, 10**6)}@example.com"
    if kind == "phone_input":
        return f"+35191{rng.randint(1000000, 9999999)}"
    if kind == "url_input":
        return "example.com"
    if kind == "date_input":
        return "2026-05-04"
    if kind == "file_upload":
        return None  # the load bots ask for no file; skipping is what a visitor without one does
    return rng.choice(_TEXTS)
