"""A default that means "not given", for partial updates where None is a value (no chatbot)."""

import enum


class Unset(enum.Enum):
    UNSET = "unset"


UNSET = Unset.UNSET
