"""Appearance and behaviour settings of a chatbot: JSON validated against a schema, defaults filled in."""

from django.core.exceptions import ValidationError

from jsonschema import Draft202012Validator

from config.jsonschema_errors import pattern_described, schema_errors

COLOR = {
    "type": "string",
    "pattern": pattern_described("^#(?:[0-9a-fA-F]{3}){1,2}$", "a color such as #2563eb or #fff"),
}
HTTP_URL = {
    "type": "string",
    "maxLength": 2048,
    "pattern": pattern_described(
        "^(https?://[^\\s]+)?$", "an http(s) URL such as https://example.com/logo.png, or empty"
    ),
}
ORIGIN = {
    "type": "string",
    "maxLength": 255,
    "pattern": pattern_described(
        "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$",
        "an origin such as https://example.com: scheme, host and optional port, no path",
    ),
}
FONT_FAMILY = pattern_described("^[A-Za-z0-9 ,'-]*$", "font names: letters, digits, spaces, commas, quotes and dashes")

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
        "font_family": {"type": "string", "maxLength": 100, "pattern": FONT_FAMILY, "default": ""},
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
        "save_results": {
            "type": "boolean",
            "default": True,
            "description": (
                "Off: once a conversation ends, its answers, transcript, uploads and logs are deleted and it is "
                "left out of results; analytics still count it."
            ),
        },
        "debug_logging": {
            "type": "boolean",
            "default": False,
            "description": "On: every node a conversation executes writes a debug log entry with its timing "
            "(previews always do).",
        },
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
    if kind == "behavior" and "allowed_origins" in value:
        value = {**value, "allowed_origins": origins_normalise(value["allowed_origins"])}
    merged = {**options_defaults(kind), **(current or {}), **value}
    errors = schema_errors(_VALIDATORS[kind], merged, prefix=kind)
    if errors:
        raise ValidationError(errors)
    return merged


def origins_normalise(origins: object) -> object:
    """Origins as browsers send them in the Origin header: lower-case, no trailing slash,
    each once. Anything that is not a list of strings is left for the schema to refuse."""
    if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
        return origins
    normalised = [origin.strip().rstrip("/").lower() for origin in origins]
    return list(dict.fromkeys(normalised))
