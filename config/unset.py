"""A default that means "not given", for partial updates where None is a value (no chatbot)."""

import enum
from collections.abc import Mapping
from typing import Any


class Unset(enum.Enum):
    UNSET = "unset"


UNSET = Unset.UNSET


def changes_apply(obj: Any, changes: Mapping[str, Any]) -> None:
    """Set on `obj` each of `changes` that was given (is not UNSET)."""
    for name, value in changes.items():
        if value is not UNSET:
            setattr(obj, name, value)
