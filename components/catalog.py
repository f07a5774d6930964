"""The component catalog: every node type (docs/components.md), with its JSON Schema, handles and
which variables it reads and writes.

This module is the single source of truth. The data migration copies it into
ComponentCategory/ComponentTemplate rows (for the admin and the catalog endpoints), graph
validation and the compiler read it directly, and the runner relies on the defaults the
compiler fills in from it.
"""

from dataclasses import dataclass, field
from typing import Any

from components.patterns import MAX_PATTERN_LENGTH, pattern_template_error
from components.templating import VARIABLE_NAME_PATTERN, expression_variables, strings_in, template_variables
from config.jsonschema_errors import pattern_described

CATEGORIES = [
    {"slug": "event", "name": "Events", "description": "Where a flow begins.", "icon": "flag", "order": 1},
    {"slug": "bubble", "name": "Bubbles", "description": "What the bot says or shows.", "icon": "chat", "order": 2},
    {
        "slug": "input",
        "name": "Inputs",
        "description": "Questions that wait for the visitor.",
        "icon": "keyboard",
        "order": 3,
    },
    {
        "slug": "logic",
        "name": "Logic",
        "description": "Branching, variables and navigation.",
        "icon": "git-branch",
        "order": 4,
    },
    {
        "slug": "integration",
        "name": "Integrations",
        "description": "Talk to other systems.",
        "icon": "plug",
        "order": 5,
    },
    {"slug": "end", "name": "End", "description": "Finish the conversation.", "icon": "stop", "order": 6},
]

VARIABLE = {"type": "string", "pattern": VARIABLE_NAME_PATTERN, "maxLength": 64}
OPTIONAL_VARIABLE = {
    "type": "string",
    "anyOf": [{"const": ""}, {"pattern": VARIABLE_NAME_PATTERN}],
    "maxLength": 64,
    "default": "",
}
HANDLE_ID = {
    "type": "string",
    "pattern": pattern_described(r"^[A-Za-z0-9_-]{1,64}$", "an id of letters, digits, _ and - (at most 64)"),
}
TEMPLATED_TEXT = {"type": "string", "maxLength": 10_000}
TEMPLATED_URL = {"type": "string", "maxLength": 2048}


def _schema(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


def _input_props(retry_message: str, **extra) -> dict:
    return {
        "prompt": {**TEMPLATED_TEXT, "default": "", "description": "Shown as a message right before the input."},
        "variable": {**OPTIONAL_VARIABLE, "description": "Where the answer is stored."},
        "retry_message": {
            **TEMPLATED_TEXT,
            "default": retry_message,
            "description": "Shown when the answer is invalid.",
        },
        "placeholder": {"type": "string", "maxLength": 200, "default": ""},
        **extra,
    }


def _media_props(**extra) -> dict:
    return {"url": {**TEMPLATED_URL, "default": ""}, **extra}


OPTION = {
    "type": "object",
    "properties": {
        "id": HANDLE_ID,
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "value": {"type": "string", "maxLength": 500},
        "image_url": TEMPLATED_URL,
    },
    "required": ["id", "label"],
    "additionalProperties": False,
}

CONDITION_OPERATORS = [
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "greater_than",
    "greater_or_equal",
    "less_than",
    "less_or_equal",
    "is_set",
    "is_empty",
    "matches_regex",
    "not_matches_regex",
]
SET_VARIABLE_OPERATIONS = ["value", "expression", "empty", "append", "now", "random_id", "session_id"]
REGEX_OPERATORS = frozenset({"matches_regex", "not_matches_regex"})
# A rule's value as written (a pattern, or text to compare); a pattern is held to the same bound.
MAX_RULE_VALUE_LENGTH = MAX_PATTERN_LENGTH
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
STRING_MAP = {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": 4096},
    "maxProperties": 50,
    "default": {},
}


@dataclass(frozen=True)
class ComponentType:
    type: str
    category: str
    label: str
    description: str
    icon: str
    config_schema: dict
    # Handles every node of the type has; `dynamic_outputs` names a config list whose items'
    # ids are handles too (choice options, condition branches).
    outputs: tuple[str, ...] = ("next",)
    dynamic_outputs: dict | None = None
    blocking: bool = False
    order: int = 0
    extra: dict = field(default_factory=dict)

    def outputs_spec(self) -> dict:
        return {"handles": list(self.outputs), "dynamic": self.dynamic_outputs}

    def defaults(self) -> dict[str, Any]:
        return {name: prop["default"] for name, prop in self.config_schema["properties"].items() if "default" in prop}


def _choice_type(type_name: str, label: str, description: str, icon: str, **extra) -> ComponentType:
    """choice and picture_choice: the same config; single choice branches per option id."""
    return ComponentType(
        type_name,
        "input",
        label,
        description,
        icon,
        _schema(
            _input_props(
                "Please pick one of the options.",
                options={"type": "array", "items": OPTION, "maxItems": 100, "default": []},
                multiple={"type": "boolean", "default": False},
                dynamic_variable={
                    **OPTIONAL_VARIABLE,
                    "description": (
                        "A variable holding a list: when it has items, they are the options (each item its "
                        "label and value, in order; at most 100) instead of `options`, and the answer "
                        "follows `default`."
                    ),
                },
                **extra,
            )
        ),
        outputs=("default",),
        dynamic_outputs={"source": "options", "key": "id", "unless": "multiple"},
        blocking=True,
    )


_TYPES: list[ComponentType] = [
    ComponentType(
        "start",
        "event",
        "Start",
        "Entry point of the flow; exactly one per flow.",
        "flag",
        _schema({}),
    ),
    ComponentType(
        "message",
        "bubble",
        "Text",
        "A text message; `{{variable}}` placeholders and markdown allowed.",
        "message",
        _schema({"text": {**TEMPLATED_TEXT, "default": ""}}),
    ),
    ComponentType(
        "image",
        "bubble",
        "Image",
        "A picture by URL.",
        "image",
        _schema(
            _media_props(alt={"type": "string", "maxLength": 500, "default": ""}, link={**TEMPLATED_URL, "default": ""})
        ),
    ),
    ComponentType(
        "video",
        "bubble",
        "Video",
        "A video by URL (file, YouTube, Vimeo…).",
        "video",
        _schema(
            _media_props(
                height={"type": "integer", "minimum": 50, "maximum": 2000, "default": 400},
                autoplay={"type": "boolean", "default": False},
            )
        ),
    ),
    ComponentType(
        "audio",
        "bubble",
        "Audio",
        "An audio clip by URL.",
        "music",
        _schema(_media_props(autoplay={"type": "boolean", "default": False})),
    ),
    ComponentType(
        "embed",
        "bubble",
        "Embed",
        "An embedded page (iframe) by URL.",
        "code",
        _schema(_media_props(height={"type": "integer", "minimum": 50, "maximum": 2000, "default": 400})),
    ),
    ComponentType(
        "text_input",
        "input",
        "Text",
        "Free text, with optional length bounds.",
        "type",
        _schema(
            _input_props(
                "Please enter a valid answer.",
                min_length={"type": "integer", "minimum": 0, "maximum": 10_000, "default": 0},
                max_length={"type": "integer", "minimum": 1, "maximum": 10_000, "default": 2000},
                multiline={"type": "boolean", "default": False},
            )
        ),
        blocking=True,
    ),
    ComponentType(
        "number_input",
        "input",
        "Number",
        "A number; comma or dot decimals; optional bounds and step.",
        "hash",
        _schema(
            _input_props(
                "Please enter a valid number.",
                min={"type": ["number", "null"], "default": None},
                max={"type": ["number", "null"], "default": None},
                step={"type": ["number", "null"], "exclusiveMinimum": 0, "default": None},
            )
        ),
        blocking=True,
    ),
    ComponentType(
        "email_input",
        "input",
        "Email",
        "An email address, stored lower-cased.",
        "mail",
        _schema(_input_props("This email doesn't seem to be valid. Can you type it again?")),
        blocking=True,
    ),
    ComponentType(
        "phone_input",
        "input",
        "Phone",
        "A phone number, stored in E.164 form.",
        "phone",
        _schema(
            _input_props(
                "This phone number doesn't seem to be valid. Can you type it again?",
                default_country={
                    "type": "string",
                    "pattern": pattern_described("^([A-Z]{2})?$", "a two-letter country code such as PT, or empty"),
                    "default": "",
                },
            )
        ),
        blocking=True,
    ),
    ComponentType(
        "url_input",
        "input",
        "Website",
        "An http or https URL.",
        "link",
        _schema(_input_props("This URL doesn't seem to be valid. Can you type it again?")),
        blocking=True,
    ),
    ComponentType(
        "date_input",
        "input",
        "Date",
        "A date (optionally a time or a range), with bounds.",
        "calendar",
        _schema(
            _input_props(
                "Please enter a valid date.",
                with_time={"type": "boolean", "default": False},
                range={"type": "boolean", "default": False},
                min={
                    "type": "string",
                    "maxLength": 64,
                    "default": "",
                    "description": "Earliest allowed date (YYYY-MM-DD), or empty.",
                },
                max={
                    "type": "string",
                    "maxLength": 64,
                    "default": "",
                    "description": "Latest allowed date (YYYY-MM-DD), or empty.",
                },
                format={
                    "type": "string",
                    "maxLength": 64,
                    "default": "",
                    "description": "strftime format of the stored value; empty = ISO 8601.",
                },
            )
        ),
        blocking=True,
    ),
    _choice_type("choice", "Buttons", "Buttons to pick from; single choice branches per option.", "list"),
    _choice_type(
        "picture_choice",
        "Picture choice",
        "Like buttons, with a picture per option.",
        "image",
        dynamic_image_variable={
            **OPTIONAL_VARIABLE,
            "description": "With `dynamic_variable`: a list of picture URLs, one per item, in the same order.",
        },
    ),
    ComponentType(
        "rating",
        "input",
        "Rating",
        "A score on a scale from min to max.",
        "star",
        _schema(
            _input_props(
                "Please pick a score on the scale.",
                min={"type": "integer", "minimum": 0, "maximum": 100, "default": 0},
                max={"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
            )
        ),
        blocking=True,
    ),
    ComponentType(
        "file_upload",
        "input",
        "File upload",
        "A file uploaded through the chat API.",
        "upload",
        _schema(
            _input_props(
                "This file can't be accepted. Please try another one.",
                allowed_types={
                    "type": "array",
                    "items": {
                        "type": "string",
                        "pattern": pattern_described(
                            r"^[a-z0-9.+-]+/[a-z0-9.+*-]+$|^\.[a-z0-9]{1,10}$",
                            "a MIME type such as image/png or image/*, or an extension such as .pdf",
                        ),
                    },
                    "maxItems": 50,
                    "default": [],
                    "description": "MIME types (image/png, image/*) or extensions (.pdf); empty = any.",
                },
                max_size_mb={"type": "number", "exclusiveMinimum": 0, "maximum": 25, "default": 10},
                required={"type": "boolean", "default": True},
            )
        ),
        blocking=True,
    ),
    ComponentType(
        "condition",
        "logic",
        "Condition",
        "Branches on variables; the first matching branch wins, else `else`.",
        "split",
        _schema(
            {
                "branches": {
                    "type": "array",
                    "maxItems": 50,
                    "default": [],
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": HANDLE_ID,
                            "match": {"enum": ["all", "any"], "default": "all"},
                            "rules": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 50,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "variable": VARIABLE,
                                        "operator": {"enum": CONDITION_OPERATORS},
                                        "value": {
                                            "type": ["string", "number", "boolean", "null"],
                                            "maxLength": MAX_RULE_VALUE_LENGTH,
                                            "default": "",
                                        },
                                    },
                                    "required": ["variable", "operator"],
                                    "additionalProperties": False,
                                },
                            },
                        },
                        "required": ["id", "rules"],
                        "additionalProperties": False,
                    },
                }
            }
        ),
        outputs=("else",),
        dynamic_outputs={"source": "branches", "key": "id"},
    ),
    ComponentType(
        "set_variable",
        "logic",
        "Set variable",
        "Sets a variable: a value, an expression, now, a random id…",
        "variable",
        _schema(
            {
                "variable": VARIABLE,
                "operation": {"enum": SET_VARIABLE_OPERATIONS, "default": "value"},
                "value": {
                    "type": "string",
                    "maxLength": 2000,
                    "default": "",
                    "description": (
                        "`value`/`append`: templated text. `expression`: arithmetic and text over variables, "
                        "named bare (`score + 10`) or as in templates (`{{score}} + 10`); what the evaluator "
                        "would refuse is refused on save."
                    ),
                },
            },
            required=["variable"],
        ),
    ),
    ComponentType(
        "jump",
        "logic",
        "Jump",
        "Continue at another node of this flow.",
        "corner-down-right",
        _schema({"target": {"type": "string", "minLength": 1, "maxLength": 64}}, required=["target"]),
        outputs=(),
    ),
    ComponentType(
        "flow_link",
        "logic",
        "Flow link",
        "Run another flow of this chatbot, then come back (or not).",
        "external-link",
        _schema(
            {"flow": {"type": "integer", "minimum": 1}, "return_after": {"type": "boolean", "default": True}},
            required=["flow"],
        ),
    ),
    ComponentType(
        "ab_test",
        "logic",
        "A/B test",
        "Random split: `percent_a` of visitors take `a`, the rest `b`.",
        "shuffle",
        _schema({"percent_a": {"type": "number", "minimum": 0, "maximum": 100, "default": 50}}),
        outputs=("a", "b"),
    ),
    ComponentType(
        "wait",
        "logic",
        "Wait",
        "Pause before the next message (done by the chat client).",
        "clock",
        _schema({"seconds": {"type": "number", "minimum": 0, "maximum": 60, "default": 1}}),
    ),
    ComponentType(
        "redirect",
        "logic",
        "Redirect",
        "Send the visitor to a URL (done by the chat client).",
        "arrow-up-right",
        _schema(
            {"url": {**TEMPLATED_URL, "minLength": 1}, "new_tab": {"type": "boolean", "default": False}},
            required=["url"],
        ),
    ),
    ComponentType(
        "http_request",
        "integration",
        "HTTP request",
        "Call an API; map the response into variables.",
        "globe",
        _schema(
            {
                "method": {"enum": HTTP_METHODS, "default": "GET"},
                "url": {**TEMPLATED_URL, "default": ""},
                "connection": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "default": None,
                    "description": "An API connection of yours: its base URL and auth are added.",
                },
                "headers": STRING_MAP,
                "query": STRING_MAP,
                "body": {"type": "string", "maxLength": 100_000, "default": ""},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 30, "default": 10},
                "mapping": {
                    "type": "array",
                    "maxItems": 50,
                    "default": [],
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 500,
                                "description": (
                                    "Dotted path into the JSON response body (`items.0.name`); `$` is the whole "
                                    "body, `status` the status code, `headers.<name>` a header."
                                ),
                            },
                            "variable": VARIABLE,
                        },
                        "required": ["path", "variable"],
                        "additionalProperties": False,
                    },
                },
            }
        ),
        outputs=("success", "failure"),
    ),
    ComponentType(
        "send_email",
        "integration",
        "Send email",
        "Send an email through the server's email backend.",
        "send",
        _schema(
            {
                "to": {"type": "string", "minLength": 1, "maxLength": 1000},
                "subject": {"type": "string", "maxLength": 500, "default": ""},
                "body": {**TEMPLATED_TEXT, "default": ""},
                "reply_to": {"type": "string", "maxLength": 254, "default": ""},
            },
            required=["to"],
        ),
    ),
    ComponentType("end", "end", "End", "Ends the conversation.", "stop", _schema({}), outputs=()),
]

COMPONENT_TYPES: dict[str, ComponentType] = {}
for _order, _component in enumerate(_TYPES, start=1):
    COMPONENT_TYPES[_component.type] = ComponentType(**{**_component.__dict__, "order": _order})

INPUT_TYPES = frozenset(name for name, c in COMPONENT_TYPES.items() if c.category == "input")
BLOCKING_TYPES = frozenset(name for name, c in COMPONENT_TYPES.items() if c.blocking)


def output_handles(type_name: str, config: dict) -> list[str]:
    """The handles a node of this type and configuration has, in display order."""
    component = COMPONENT_TYPES[type_name]
    dynamic = component.dynamic_outputs
    handles: list[str] = []
    if dynamic and not (dynamic.get("unless") and config.get(dynamic["unless"])):
        handles = [item.get(dynamic["key"]) for item in config.get(dynamic["source"]) or [] if isinstance(item, dict)]
    return handles + [h for h in component.outputs if h not in handles]


def variables_written(type_name: str, config: dict) -> set[str]:
    if type_name in INPUT_TYPES or type_name == "set_variable":
        return {config["variable"]} if config.get("variable") else set()
    if type_name == "http_request":
        return {m["variable"] for m in config.get("mapping") or [] if isinstance(m, dict) and m.get("variable")}
    return set()


def variables_read(type_name: str, config: dict) -> set[str]:
    """Variables a node reads: `{{placeholders}}` anywhere in its config, condition rules,
    expressions. Raises SyntaxError for an expression the evaluator would refuse."""
    names: set[str] = set()
    if type_name == "set_variable" and config.get("operation") == "expression":
        names |= expression_variables(config.get("value") or "")
    else:
        for text in strings_in(config):
            names |= template_variables(text)
    if type_name == "condition":
        for branch in config.get("branches") or []:
            for rule in branch.get("rules") or []:
                if rule.get("variable"):
                    names.add(rule["variable"])
    if type_name == "set_variable" and config.get("operation") == "append" and config.get("variable"):
        names.add(config["variable"])
    if type_name in ("choice", "picture_choice"):
        names |= {config[key] for key in ("dynamic_variable", "dynamic_image_variable") if config.get(key)}
    return names


def _duplicates(items: list, key: str) -> list[str]:
    seen, duplicated = set(), []
    for item in items:
        value = item.get(key) if isinstance(item, dict) else None
        if value in seen:
            duplicated.append(value)
        seen.add(value)
    return duplicated


def _bounds_error(config: dict, low: str, high: str) -> tuple[str, str] | None:
    lo, hi = config.get(low), config.get(high)
    if lo is not None and hi is not None and lo > hi:
        return (low, f"`{low}` ({lo}) is greater than `{high}` ({hi}).")
    return None


def semantic_errors(type_name: str, config: dict) -> list[tuple[str, str]]:
    """Checks JSON Schema cannot express; `config` already passed the schema. Returns (field, message) pairs."""
    errors: list[tuple[str, str]] = []
    if type_name in ("choice", "picture_choice"):
        errors += [("options", f"Option id {d!r} is used twice.") for d in _duplicates(config.get("options", []), "id")]
        if any(o.get("id") == "default" for o in config.get("options", [])):
            errors.append(("options", "`default` is reserved for the fallback handle; choose another option id."))
    if type_name == "condition":
        branches = config.get("branches", [])
        errors += [("branches", f"Branch id {d!r} is used twice.") for d in _duplicates(branches, "id")]
        if any(b.get("id") == "else" for b in branches):
            errors.append(("branches", "`else` is reserved for the fallback handle; choose another branch id."))
        for b, branch in enumerate(branches):
            for r, rule in enumerate(branch.get("rules", [])):
                if rule.get("operator") in REGEX_OPERATORS:
                    problem = pattern_template_error(str(rule.get("value") if rule.get("value") is not None else ""))
                    if problem:
                        errors.append((f"branches.{b}.rules.{r}.value", f"Branch {branch.get('id')!r}: {problem}"))
    if type_name == "text_input":
        errors.append(_bounds_error(config, "min_length", "max_length"))
    if type_name in ("number_input", "rating"):
        errors.append(_bounds_error(config, "min", "max"))
        if type_name == "rating" and config.get("min", 0) == config.get("max", 10):
            errors.append(("max", "The scale needs at least two values."))
    if type_name == "set_variable" and config.get("operation") == "expression":
        try:
            expression_variables(config.get("value") or "")
        except SyntaxError as exc:
            errors.append(("value", f"The expression is not valid: {exc.msg}."))
    if type_name == "jump" and not config.get("target"):
        errors.append(("target", "Choose the node to jump to."))
    return [e for e in errors if e]
