"""JSON Schema errors as sentences for people, keyed by the path of the field they concern.

jsonschema's own messages name the schema (`'127.0.0.1:8323' does not match '^https?://…'`);
these say what is expected. A pattern is described once, where it is defined, with
`pattern_described`, so every error about it reads the same wherever the schema is used.
"""

from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.protocols import Validator

_PATTERN_DESCRIPTIONS: dict[str, str] = {}

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a JSON object",
    "null": "null",
}


def pattern_described(pattern: str, description: str) -> str:
    """Register what `pattern` stands for ("an origin such as https://example.com…"); returns
    the pattern, to be used in the schema."""
    _PATTERN_DESCRIPTIONS[pattern] = description
    return pattern


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _types(expected: str | list[str]) -> str:
    names = [_TYPE_NAMES.get(name, name) for name in ([expected] if isinstance(expected, str) else expected)]
    return " or ".join(names)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def error_sentence(error: SchemaValidationError) -> str:
    """One error as a sentence (the field it concerns is named by its key, not here)."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        return "This field is required."
    if kind == "additionalProperties":
        return "Unknown field."
    if kind == "type":
        return f"Must be {_types(expected)}."
    if kind == "enum":
        return f"Must be one of: {', '.join(str(option) for option in expected)}."
    if kind == "const":
        return f"Must be {_shown(expected)}."
    if kind in ("pattern", "anyOf", "oneOf"):
        options = [expected] if kind == "pattern" else [o.get("pattern") for o in expected if isinstance(o, dict)]
        described = [_PATTERN_DESCRIPTIONS[p] for p in options if p in _PATTERN_DESCRIPTIONS]
        if described:
            return f"Must be {' or '.join(described)} (got {_shown(value)})."
        return f"{_shown(value)} does not have the expected form."
    if kind == "minLength":
        return "Must not be empty." if expected == 1 else f"At least {_plural(expected, 'character')}."
    if kind == "maxLength":
        return f"At most {_plural(expected, 'character')}."
    if kind == "minimum":
        return f"Must be at least {expected}."
    if kind == "maximum":
        return f"Must be at most {expected}."
    if kind == "exclusiveMinimum":
        return f"Must be greater than {expected}."
    if kind == "exclusiveMaximum":
        return f"Must be less than {expected}."
    if kind == "minItems":
        return "Must not be empty." if expected == 1 else f"At least {_plural(expected, 'item')}."
    if kind == "maxItems":
        return f"At most {_plural(expected, 'item')}."
    if kind == "uniqueItems":
        return "A value appears twice; each must be unique."
    if kind == "maxProperties":
        return f"At most {_plural(expected, 'key')}."
    return error.message


def error_path(error: SchemaValidationError) -> list[str]:
    """The path of the field an error concerns: for a missing or unknown field, that field."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        path.append(missing[0] if missing else "")
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(name for name in error.instance if name not in allowed)
        path.append(extra[0] if extra else "")
    return [part for part in path if part]


def schema_errors(validator: Validator, instance: Any, *, prefix: str) -> dict[str, list[str]]:
    """Every error of `instance`, as {"<prefix>.<path>": [sentence]} (just `prefix` for the
    instance itself)."""
    errors: dict[str, list[str]] = {}
    found: Iterable[SchemaValidationError] = validator.iter_errors(instance)
    for error in found:
        key = ".".join([prefix, *error_path(error)])
        sentence = error_sentence(error)
        if sentence not in errors.get(key, []):
            errors.setdefault(key, []).append(sentence)
    return errors
