"""Which handler runs each component type.

Registration is validated: the type must be in the component catalog, registered once, and
the handler must have the interface its kind needs — non-blocking handlers `execute(node,
turn) -> Outcome`; blocking (input) handlers `present(node, turn) -> InputRequest` and
`accept(node, value, turn) -> Accepted` (raising `InvalidAnswer`).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from components.catalog import BLOCKING_TYPES, COMPONENT_TYPES
from executions.runner.errors import RegistryError

_HANDLERS: dict[str, Any] = {}

T = TypeVar("T")


def _check_interface(type_name: str, handler: Any) -> None:
    needed = ("present", "accept") if type_name in BLOCKING_TYPES else ("execute",)
    missing = [name for name in needed if not callable(getattr(handler, name, None))]
    if missing:
        kind = "an input" if type_name in BLOCKING_TYPES else "a non-blocking"
        raise RegistryError(f"The handler of {type_name!r} ({kind} type) must implement {', '.join(missing)}.")


def register(type_name: str) -> Callable[[T], T]:
    """Class (or instance) decorator: `@register("message") class Message: def execute(...)`.
    A class is instantiated without arguments; the decorated object is returned unchanged."""

    def decorator(handler: T) -> T:
        if type_name not in COMPONENT_TYPES:
            raise RegistryError(f"{type_name!r} is not a component type of the catalog.")
        if type_name in _HANDLERS:
            raise RegistryError(f"{type_name!r} already has a handler ({type(_HANDLERS[type_name]).__name__}).")
        instance = handler() if isinstance(handler, type) else handler
        _check_interface(type_name, instance)
        _HANDLERS[type_name] = instance
        return handler

    return decorator


def get_handler(type_name: str) -> Any | None:
    return _HANDLERS.get(type_name)


def registered_types() -> frozenset[str]:
    return frozenset(_HANDLERS)


def is_blocking(type_name: str) -> bool:
    return type_name in BLOCKING_TYPES
