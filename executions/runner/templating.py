"""`{{variable}}` rendering. The placeholder syntax is the one of `components.templating`, so
graph validation and the runner agree on which variables a text reads."""

import json
import math
from collections.abc import Mapping
from typing import Any

from components.templating import PLACEHOLDER_RE

# A rendered text never grows past this, whatever the variables hold (a set_variable loop
# doubling "{{x}}{{x}}" must not eat the worker's memory).
MAX_RENDERED_LENGTH = 100_000


def format_value(value: Any) -> str:
    """A variable's value as text: None → "", 20.0 → "20", 2.5 → "2.5", True → "true",
    lists joined with ", ", dicts as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python agrees to print
            return ""
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        # 15 significant digits hide binary noise: 0.1 + 0.2 prints 0.3.
        return format(value, ".15g")
    if isinstance(value, list | tuple):
        return ", ".join(format_value(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


def render(text: Any, variables: Mapping[str, Any], *, max_length: int = MAX_RENDERED_LENGTH) -> str:
    """Replace every `{{name}}` with the variable's formatted value (unset → empty)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = format_value(text)
    if "{{" not in text:
        return text[:max_length]
    parts: list[str] = []
    size = 0
    position = 0
    for match in PLACEHOLDER_RE.finditer(text):
        literal = text[position : match.start()]
        value = format_value(variables.get(match.group(1)))
        parts.append(literal)
        parts.append(value)
        size += len(literal) + len(value)
        position = match.end()
        if size >= max_length:
            return "".join(parts)[:max_length]
    parts.append(text[position:])
    return "".join(parts)[:max_length]
