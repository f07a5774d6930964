"""Helpers shared by handlers."""

import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from components.catalog import COMPONENT_TYPES
from executions.runner.state import InputRequest
from executions.runner.turn import Accepted, Node, Turn

SAFE_URL_SCHEMES = frozenset({"http", "https"})


@functools.cache
def catalog_defaults(type_name: str) -> Mapping[str, Any]:
    return COMPONENT_TYPES[type_name].defaults()


def setting(node: Node, key: str) -> Any:
    """A config value, falling back to the catalog default when the snapshot lacks it."""
    value = node.data.get(key)
    return catalog_defaults(node.type).get(key) if value is None else value


def is_safe_url(url: str) -> bool:
    """http(s) with a host: what may reach a client as a link, a redirect or a media source
    (a `javascript:` URL built from a variable must never reach an iframe or an href)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in SAFE_URL_SCHEMES and bool(parts.netloc)


class InputHandler:
    """An input: `present` builds the request the client shows (the engine delivers the
    prompt); `accept` validates an answer with the type's parse function. Subclasses name the
    config fields they expose in `options` and implement `parse`."""

    options: tuple[str, ...] = ("placeholder",)
    templated_options: frozenset[str] = frozenset({"placeholder"})

    def present(self, node: Node, turn: Turn) -> InputRequest:
        return InputRequest(node_id=node.id, type=node.type, options=self.request_options(node, turn))

    def request_options(self, node: Node, turn: Turn) -> dict[str, Any]:
        options = {}
        for name in self.options:
            value = setting(node, name)
            options[name] = turn.render(value) if name in self.templated_options else value
        return options

    def accept(self, node: Node, value: Any, turn: Turn) -> Accepted:
        return Accepted(self.parse(value, node, turn))

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        raise NotImplementedError
