"""Appearance and behaviour settings of a chatbot: JSON validated against a schema, defaults filled in."""

from django.core.exceptions import ValidationError

from jsonschema import Draft202012Validator

COLOR = {"type": "string", "pattern": "^#(?:[0-9a-fA-F]{3}){1,2}$"}
HTTP_URL = {"type": "string", "maxLength": 2048, "pattern": "^(https?://[^\\s]+)?$"}
ORIGIN = {"type": "string", "maxLength": 255, "pattern": "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"}

APPEARANCE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "maxLength": 100, "default": ""},
        "welcome_text": {"type": "string", "maxLength": 1000, "default": ""},
        "avatar_url": {**HTTP_URL, "default": ""},
        "primary_color": {**COLOR, "default": "#2563eb"},
        "background_color": {**COLOR, "default": "#ffffff"},
        "text_color": {**COLOR, "default": "#111827"},
        "bot_bubble_color": {**COLOR, "default": "#f3f4f6"},
        "user_bubble_color": {**COLOR, "default": "#2563eb"},
        "font_family": {"type": "string", "maxLength": 100, "pattern": "^[A-Za-z0-9 ,'-]*$", "default": ""},
        "position": {"enum": ["left", "right"], "default": "right"},
        # light: the colours above; dark: a dark palette keeping the primary and user-bubble
        # colours; auto: follows the visitor's system setting.
        "theme": {"enum": ["light", "dark", "auto"], "default": "light"},
    },
}

BEHAVIOR_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "typing_delay_ms": {"type": "integer", "minimum": 0, "maximum": 10_000, "default": 600},
        "session_timeout_minutes": {"type": "integer", "minimum": 1, "maximum": 525_600, "default": 1440},
        "allowed_origins": {"type": "array", "items": ORIGIN, "maxItems": 50, "uniqueItems": True, "default": []},
        "save_results": {"type": "boolean", "default": True},
        # Shown in the chat's text field when the input sets no placeholder of its own.
        "input_placeholder": {"type": "string", "maxLength": 200, "default": "Type your answer…"},
    },
}

_VALIDATORS = {
    "appearance": Draft202012Validator(APPEARANCE_SCHEMA),
    "behavior": Draft202012Validator(BEHAVIOR_SCHEMA),
}
_SCHEMAS = {"appearance": APPEARANCE_SCHEMA, "behavior": BEHAVIOR_SCHEMA}


def options_defaults(kind: str) -> dict:
    return {name: prop["default"] for name, prop in _SCHEMAS[kind]["properties"].items()}


def options_clean(kind: str, value: object, *, current: dict | None = None) -> dict:
    """Merge `value` over the current settings (or the defaults) and validate; raises ValidationError
    naming the field."""
    if not isinstance(value, dict):
        raise ValidationError({kind: "Must be a JSON object."})
    merged = {**options_defaults(kind), **(current or {}), **value}
    errors = {}
    for error in _VALIDATORS[kind].iter_errors(merged):
        path = ".".join(str(p) for p in error.absolute_path) or kind
        field = f"{kind}.{path}" if path != kind else kind
        errors.setdefault(field, []).append(error.message)
    if errors:
        raise ValidationError(errors)
    return merged
