"""Typebot's block types: the mapping table (`BLOCK_TYPES`: every block type, our counterpart
and how much of it carries over, which the README's table and counts are measured from) and
one converter per type, as methods the importer inherits. A converter returns the node's type,
config and exits, or None when the block is left out (having said why)."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.catalog import COMPONENT_TYPES
from components.importers.plan import ImportReport
from components.importers.typebot_js import EMPTY, EXPRESSION, UNSUPPORTED, VALUE, translate_custom
from components.importers.typebot_text import VariableNames, flatten_rich_text, html_to_text

MAX_TEXT = 10_000
MAX_URL = 2048
MAX_LABEL = 200
MAX_COORDINATE = 1e6
ROW_HEIGHT = 110

FULL, PARTIAL, NONE = "full", "partial", "none"


@dataclass(frozen=True)
class BlockType:
    type: str
    category: str
    ours: str
    support: str
    notes: str = ""


_HOOK_BODY = "the body is every variable by name, not Typebot's result columns"

# The mapping table: Typebot's block types (the `type` of a block in an export) and ours.
BLOCK_TYPES: tuple[BlockType, ...] = (
    BlockType("text", "bubble", "message", FULL, "rich text as markdown (underline dropped)"),
    BlockType("image", "bubble", "image", FULL),
    BlockType(
        "video",
        "bubble",
        "video",
        PARTIAL,
        "aspect ratio, width, hidden controls, query parameters and {{variable}} heights",
    ),
    BlockType("audio", "bubble", "audio", FULL),
    BlockType("embed", "bubble", "embed", PARTIAL, "waiting for an event from the page, {{variable}} heights"),
    BlockType("text input", "input", "text_input", PARTIAL, "audio clips and attachments"),
    BlockType("number input", "input", "number_input", PARTIAL, "{{variable}} bounds and steps"),
    BlockType("email input", "input", "email_input", FULL),
    BlockType("url input", "input", "url_input", FULL),
    BlockType("phone number input", "input", "phone_input", FULL),
    BlockType(
        "date input",
        "input",
        "date_input",
        PARTIAL,
        "{{variable}} bounds, some display formats; a range is stored as {start, end}",
    ),
    BlockType("time input", "input", "text_input", PARTIAL, "asked as free text: no time picker or check"),
    BlockType(
        "choice input",
        "input",
        "choice",
        PARTIAL,
        "display conditions of buttons, search; dynamic buttons from a list variable are kept",
    ),
    BlockType(
        "picture choice input",
        "input",
        "picture_choice",
        PARTIAL,
        "descriptions, display conditions, dynamic descriptions",
    ),
    BlockType("rating input", "input", "rating", PARTIAL, "side labels and custom icons"),
    BlockType(
        "file input", "input", "file_upload", PARTIAL, "several files in one answer; the answer is a file record"
    ),
    BlockType("payment input", "input", "", NONE, "no payments here"),
    BlockType("cards", "input", "", NONE, "no cards here"),
    BlockType("otp input", "input", "", NONE, "no one-time codes here"),
    BlockType(
        "Set variable",
        "logic",
        "set_variable",
        PARTIAL,
        "JavaScript beyond arithmetic and text; Yesterday, Tomorrow, Transcript, Moment of the day, "
        "Map item with same index, Pop, Shift, Phone number, Contact name; time zones",
    ),
    BlockType(
        "Condition",
        "logic",
        "condition",
        PARTIAL,
        "`Equal to` ignores case here; ordering compares numbers and dates, not text lengths",
    ),
    BlockType("Redirect", "logic", "redirect", FULL),
    BlockType("Code", "logic", "", NONE, "no JavaScript runs here"),
    BlockType("Typebot link", "logic", "flow_link", PARTIAL, "links to another bot"),
    BlockType("Wait", "logic", "wait", PARTIAL, "pauses over 60 s, {{variable}} durations, pausing the flow"),
    BlockType("AB test", "logic", "ab_test", FULL),
    BlockType("Jump", "logic", "jump", FULL),
    BlockType("Return", "logic", "", NONE, "no return to the last jump"),
    BlockType("webhook", "logic", "", NONE, "no waiting for an incoming webhook"),
    BlockType("Loop", "logic", "", NONE, "no loop block"),
    BlockType(
        "Webhook",
        "integration",
        "http_request",
        PARTIAL,
        f"CONNECT/OPTIONS/TRACE, timeouts over 30 s, JavaScript response paths; without a custom body, {_HOOK_BODY}",
    ),
    BlockType("Zapier", "integration", "http_request", PARTIAL, _HOOK_BODY),
    BlockType("Make.com", "integration", "http_request", PARTIAL, _HOOK_BODY),
    BlockType("Pabbly", "integration", "http_request", PARTIAL, _HOOK_BODY),
    BlockType("Email", "integration", "send_email", PARTIAL, "cc, bcc, HTML and code bodies, attachments, own SMTP"),
    BlockType("Google Sheets", "integration", "", NONE),
    BlockType("Google Analytics", "integration", "", NONE),
    BlockType("Pixel", "integration", "", NONE),
    BlockType("Chatwoot", "integration", "", NONE),
    BlockType("OpenAI", "integration", "", NONE),
)
# Typebot's forged (plugin) blocks: AI models and other services; none has a counterpart.
FORGED_BLOCK_TYPES = (
    "openai",
    "anthropic",
    "mistral",
    "together-ai",
    "open-router",
    "groq",
    "perplexity",
    "deepseek",
    "dify-ai",
    "chat-node",
    "elevenlabs",
    "cal-com",
    "qr-code",
    "nocodb",
    "segment",
    "posthog",
    "zendesk",
    "blink",
    "gmail",
)
BY_TYPE = {block.type: block for block in BLOCK_TYPES}

_OPERATORS = {
    "Equal to": "equals",
    "Not equal": "not_equals",
    "Contains": "contains",
    "Does not contain": "not_contains",
    "Greater than": "greater_than",
    "Greater or equal to": "greater_or_equal",
    "Less than": "less_than",
    "Less or equal to": "less_or_equal",
    "Is set": "is_set",
    "Is empty": "is_empty",
    "Starts with": "starts_with",
    "Ends with": "ends_with",
    "Matches regex": "matches_regex",
    "Does not match regex": "not_matches_regex",
}
_NO_VALUE_OPERATORS = ("is_set", "is_empty")
_SET_VARIABLE_SIMPLE = {
    "Empty": ("empty", ""),
    "Now": ("now", ""),
    "Today": ("now", ""),
    "Random ID": ("random_id", ""),
    "Result ID": ("session_id", ""),
    "User ID": ("session_id", ""),
    "Environment name": ("value", "web"),
}
_HTTP_METHODS = COMPONENT_TYPES["http_request"].config_schema["properties"]["method"]["enum"]
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FILE_TYPE_RE = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+*-]+$|^\.[a-z0-9]{1,10}$")
_VIDEO_URLS = {
    "youtube": "https://www.youtube.com/watch?v={}",
    "vimeo": "https://vimeo.com/{}",
    "tiktok": "https://www.tiktok.com/embed/v2/{}",
    "gumlet": "https://play.gumlet.io/embed/{}",
}
# Unicode TR35 date fields (Typebot's `format`) and their strftime equivalents, longest first.
_DATE_FIELDS = (
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("E", "%a"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("h", "%-I"),
    ("mm", "%M"),
    ("m", "%-M"),
    ("ss", "%S"),
    ("s", "%-S"),
    ("a", "%p"),
)
_DEFAULT_DATE_FORMAT, _DEFAULT_DATE_TIME_FORMAT = "dd/MM/yyyy", "dd/MM/yyyy HH:mm"

# Continuations: where the chat goes from a block's exit.
NEXT: tuple = ("next",)
END: tuple = ("end",)


@dataclass
class Unit:
    """One block: its node (None when the block is left out or empty) and its exits, each a
    handle and a continuation: ("edge", edge id), ("next",) the next block of the group, or
    ("end",). `skip` is where a block without node sends what led to it. A Jump or Typebot
    link is `pending` until its target is resolved."""

    block: Mapping
    group: int
    index: int
    node: dict | None = None
    exits: list[tuple[str, tuple]] = field(default_factory=list)
    skip: tuple = NEXT
    pending: str = ""
    target: tuple = ()
    settling: bool = False


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_number(value: Any) -> float | int | None:
    """A finite number from a number or numeric text ("12", "1.5"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,15}(?:\.\d{1,15})?\s*", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def date_format(pattern: str) -> str | None:
    """A Unicode TR35 date pattern ("dd/MM/yyyy HH:mm") as strftime ("%d/%m/%Y %H:%M"); None
    when it holds a field we cannot render."""
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end < 0:
                return None
            out.append(pattern[index + 1 : end].replace("%", "%%") or "'")
            index = end + 1
            continue
        if char.isalpha():
            for token, directive in _DATE_FIELDS:
                if pattern.startswith(token, index):
                    out.append(directive)
                    index += len(token)
                    break
            else:
                return None
            continue
        out.append("%%" if char == "%" else char)
        index += 1
    return "".join(out)


class BlockConverters:
    """The per-type half of TypebotImporter (see there for `warn`, `rewrite`, `variable`)."""

    document: Mapping
    names: VariableNames
    report: ImportReport

    def _own(self, block: Mapping) -> tuple:
        edge_id = block.get("outgoingEdgeId")
        return ("edge", edge_id) if isinstance(edge_id, str) and edge_id else NEXT

    @staticmethod
    def _item_edge(item: Mapping) -> tuple | None:
        edge_id = item.get("outgoingEdgeId")
        return ("edge", edge_id) if isinstance(edge_id, str) and edge_id else None

    def _skip(self, block: Mapping, message: str) -> None:
        """A mapped block that carries nothing to show or do here: left out, with a warning."""
        self.report.leave_out(
            f"{message}; the block was left out and the chat goes on past it.",
            block_id=block["id"],
            block_type=block["type"],
        )

    # Bubbles

    def _message(self, block: Mapping, unit: Unit):
        content = as_mapping(block.get("content"))
        if isinstance(content.get("richText"), list):
            text = flatten_rich_text(content["richText"])
        elif isinstance(content.get("plainText"), str):
            text = content["plainText"]
        else:
            text = html_to_text(as_text(content.get("html")))
        text = self.rewrite(text).strip()
        if not text:
            return None  # an empty bubble shows nothing in Typebot either
        return "message", {"text": text}, [("next", self._own(block))]

    def _url(self, value: Any, *, what: str) -> str:
        url = self.rewrite(value, limit=10 * MAX_URL, what=what).strip()
        if len(url) > MAX_URL:
            self.warn(f"The {what} is longer than {MAX_URL} characters (an inline file?); it was dropped.")
            return ""
        return url

    def _height(self, value: Any, default: int = 400) -> int:
        number = as_number(value)
        if number is None:
            if value not in (None, ""):
                self.warn(f"The height {value!r} is not a number; {default} pixels are used.")
            return default
        return int(clamp(number, 50, 2000))

    def _image(self, block: Mapping, unit: Unit):
        content = as_mapping(block.get("content"))
        link = as_mapping(content.get("clickLink"))
        data = {
            "url": self._url(content.get("url"), what="image URL"),
            "link": self._url(link.get("url"), what="image link"),
            "alt": self.rewrite(link.get("alt"), limit=500, what="image description"),
        }
        return "image", data, [("next", self._own(block))]

    def _video(self, block: Mapping, unit: Unit):
        content = as_mapping(block.get("content"))
        url = as_text(content.get("url"))
        if not url and as_text(content.get("id")) and content.get("type") in _VIDEO_URLS:
            url = _VIDEO_URLS[content["type"]].format(content["id"])
        lost = [
            name
            for name, default in (("aspectRatio", "16/9"), ("maxWidth", "100%"), ("areControlsDisplayed", True))
            if content.get(name) not in (None, default)
        ]
        if content.get("queryParamsStr"):
            lost.append("queryParamsStr")
        if lost:
            self.warn(f"The video's {', '.join(lost)} cannot be kept here.")
        data = {
            "url": self._url(url, what="video URL"),
            "height": self._height(content.get("height")),
            "autoplay": content.get("isAutoplayEnabled") is not False,
        }
        return "video", data, [("next", self._own(block))]

    def _audio(self, block: Mapping, unit: Unit):
        content = as_mapping(block.get("content"))
        data = {
            "url": self._url(content.get("url"), what="audio URL"),
            "autoplay": content.get("isAutoplayEnabled") is not False,
        }
        return "audio", data, [("next", self._own(block))]

    def _embed(self, block: Mapping, unit: Unit):
        content = as_mapping(block.get("content"))
        if as_mapping(content.get("waitForEvent")).get("isEnabled"):
            self.warn("The embed waited for an event from the page; here the chat goes on at once.")
        data = {"url": self._url(content.get("url"), what="embed URL"), "height": self._height(content.get("height"))}
        return "embed", data, [("next", self._own(block))]

    # Inputs

    def _input(self, block: Mapping, *, handle: str = "next", **data) -> tuple[dict, list]:
        options = as_mapping(block.get("options"))
        labels = as_mapping(options.get("labels"))
        base = {"variable": self.variable(options.get("variableId"))}
        placeholder = self.rewrite(labels.get("placeholder"), limit=MAX_LABEL, what="placeholder")
        if placeholder:
            base["placeholder"] = placeholder
        retry = self.rewrite(options.get("retryMessageContent"), what="retry message").strip()
        if retry:
            base["retry_message"] = retry
        return {**base, **data}, [(handle, self._own(block))]

    def _text_input(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        if block["type"] == "time input":
            self.warn("There is no time input here: the time is asked as free text (HH:mm), unchecked.")
            data, exits = self._input(block, max_length=100)
            data.setdefault("placeholder", "HH:mm")
            return "text_input", data, exits
        lost = [name for name in ("audioClip", "attachments") if as_mapping(options.get(name)).get("isEnabled")]
        if lost:
            self.warn(f"The text input's {' and '.join(lost)} cannot be kept here: only text is answered.")
        data, exits = self._input(block, multiline=bool(options.get("isLong")))
        return "text_input", data, exits

    def _number_input(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        bounds: dict[str, Any] = {}
        for name in ("min", "max", "step"):
            raw = options.get(name)
            number = as_number(raw)
            if number is None and raw not in (None, ""):
                self.warn(f"The number input's {name} ({raw!r}) is not a number here; it was dropped.")
            elif number:  # Typebot ignores a bound (or step) of 0
                bounds[name] = number
        if bounds.get("step") is not None and bounds["step"] < 0:
            bounds.pop("step")
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            self.warn("The number input's min is above its max; both were dropped.")
            bounds.pop("min")
            bounds.pop("max")
        data, exits = self._input(block, **bounds)
        return "number_input", data, exits

    def _email_input(self, block: Mapping, unit: Unit):
        data, exits = self._input(block)
        return "email_input", data, exits

    def _url_input(self, block: Mapping, unit: Unit):
        data, exits = self._input(block)
        return "url_input", data, exits

    def _phone_input(self, block: Mapping, unit: Unit):
        country = as_text(as_mapping(block.get("options")).get("defaultCountryCode")).upper()
        data, exits = self._input(block, default_country=country if re.fullmatch(r"[A-Z]{2}", country) else "")
        return "phone_input", data, exits

    def _date_bound(self, value: Any, name: str) -> str:
        text = as_text(value).strip()
        if not text:
            return ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?", text):
            return text[:10]
        self.warn(f"The date input's {name} ({text[:60]!r}) is not a date (YYYY-MM-DD) here; it was dropped.")
        return ""

    def _date_input(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        with_time = bool(options.get("hasTime"))
        pattern = as_text(options.get("format")) or (_DEFAULT_DATE_TIME_FORMAT if with_time else _DEFAULT_DATE_FORMAT)
        strftime = date_format(pattern)
        if strftime is None:
            self.warn(f"The date format {pattern!r} cannot be reproduced; answers are stored as ISO dates.")
        if options.get("isRange"):
            self.warn("A date range is stored here as {start, end}, not as the text “A to B”.")
        data, exits = self._input(
            block,
            with_time=with_time,
            range=bool(options.get("isRange")),
            min=self._date_bound(options.get("min"), "min"),
            max=self._date_bound(options.get("max"), "max"),
            format=(strftime or "")[:64],
        )
        return "date_input", data, exits

    def _rating(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        length = as_number(options.get("length"))
        length = int(length) if length is not None else 10
        if options.get("buttonType", "Numbers") == "Icons":
            low, high = 1, length
        else:
            starts = as_number(options.get("startsAt"))
            if starts is None and options.get("startsAt") not in (None, ""):
                self.warn(f"The rating starts at {options['startsAt']!r}, not a number here; it starts at 0.")
            low, high = int(starts or 0), length
        low, high = int(clamp(low, 0, 99)), int(clamp(high, 1, 100))
        if high <= low:
            self.warn(f"The rating scale {low}..{high} is empty; it runs {low}..{low + 1}.")
            high = low + 1
        labels = as_mapping(options.get("labels"))
        if labels.get("left") or labels.get("right"):
            self.warn("The rating's side labels cannot be shown here.")
        data, exits = self._input(block, min=low, max=high)
        return "rating", data, exits

    def _file_upload(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        if options.get("isMultipleAllowed"):
            self.warn("The file input took several files; here it takes one.")
        allowed: list[str] = []
        accepted = as_mapping(options.get("allowedFileTypes"))
        if accepted.get("isEnabled"):
            for kind in as_list(accepted.get("types"))[:50]:
                kind = as_text(kind).strip().lower()
                if kind and not kind.startswith(".") and "/" not in kind:
                    kind = f".{kind}"
                if _FILE_TYPE_RE.match(kind):
                    allowed.append(kind)
                elif kind:
                    self.warn(f"The file type {kind[:40]!r} is not understood here; it was dropped.")
        data, exits = self._input(block, required=options.get("isRequired") is not False, allowed_types=allowed)
        return "file_upload", data, exits

    def _handle(self, item_id: Any, taken: set[str], reserved: str) -> str:
        handle = item_id if isinstance(item_id, str) and _ID_RE.match(item_id) and item_id != reserved else ""
        if not handle or handle in taken:
            handle = f"item{len(taken) + 1}"
            while handle in taken or handle == reserved:
                handle += "_"
        taken.add(handle)
        return handle

    def _choice(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        pictures = block["type"] == "picture choice input"
        multiple = bool(options.get("isMultipleChoice"))
        choices, exits, taken = [], [], set()
        conditional = False
        for number, item in enumerate(as_list(block.get("items"))[:100], start=1):
            if not isinstance(item, Mapping):
                continue
            conditional |= bool(as_mapping(item.get("displayCondition")).get("isEnabled"))
            if pictures:
                label = self.rewrite(item.get("title"), limit=10 * MAX_LABEL, what="picture title").strip()
                if as_text(item.get("description")).strip():
                    self.warn("Picture descriptions cannot be shown here; only the titles are.")
                label = label or f"Picture {number}"
            else:
                label = self.rewrite(item.get("content"), limit=10 * MAX_LABEL, what="button").strip()
            if not label:
                self.warn(f"Button {number} has no text; it was left out.")
                continue
            if len(label) > MAX_LABEL:
                self.warn(f"Button {number}'s text was cut to {MAX_LABEL} characters.")
                label = label[:MAX_LABEL]
            option = {"id": self._handle(item.get("id"), taken, "default"), "label": label}
            value = self.rewrite(item.get("value"), limit=500, what="button value")
            if value:
                option["value"] = value
            if pictures:
                option["image_url"] = self._url(item.get("pictureSrc"), what="picture URL")
            choices.append(option)
            edge = self._item_edge(item)
            if edge and not multiple:
                exits.append((option["id"], edge))
        if len(as_list(block.get("items"))) > 100:
            self.warn("Only the first 100 buttons were kept.")
        if conditional:
            self.warn("Buttons shown only under a condition are always shown here.")
        data = {"options": choices, "multiple": multiple}
        if pictures:
            dynamic = as_mapping(options.get("dynamicItems"))
            if dynamic.get("isEnabled"):
                data["dynamic_variable"] = self.variable(dynamic.get("titlesVariableId"), what="the list")
                data["dynamic_image_variable"] = self.variable(dynamic.get("pictureSrcsVariableId"), what="the list")
        elif options.get("dynamicVariableId"):
            data["dynamic_variable"] = self.variable(options.get("dynamicVariableId"), what="the list")
        if not choices and not data.get("dynamic_variable"):
            self._skip(block, "The buttons block has no buttons")
            return None
        base, own = self._input(block, handle="default", **data)
        return ("picture_choice" if pictures else "choice"), base, exits + own

    _picture_choice = _choice

    # Logic

    def _set_variable(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        variable = self.variable(options.get("variableId"), what="the value")
        if not variable:
            self._skip(block, "The Set variable block sets no variable")
            return None
        kind = options.get("type") or "Custom"
        exits = [("next", self._own(block))]
        if kind in _SET_VARIABLE_SIMPLE:
            operation, value = _SET_VARIABLE_SIMPLE[kind]
            if kind in ("Now", "Today") and options.get("timeZone"):
                self.warn(f"The time zone {options['timeZone']!r} is not kept: the time is in UTC.")
            return "set_variable", {"variable": variable, "operation": operation, "value": value}, exits
        if kind == "Append value(s)":
            value = self.rewrite(options.get("item"), limit=2000, what="value")
            return "set_variable", {"variable": variable, "operation": "append", "value": value}, exits
        if kind != "Custom":
            self._skip(block, f"Set variable's {kind!r} has no counterpart here")
            return None
        code = as_text(options.get("expressionToEvaluate"))
        translation = translate_custom(
            code,
            variable=self.names.by_name,
            template=lambda text: self.rewrite(text, limit=10 * MAX_TEXT, what="value"),
        )
        if translation.operation == UNSUPPORTED:
            self._skip(block, f"The value {code[:80]!r} cannot be computed here: {translation.text}")
            return None
        text = translation.text
        if translation.operation == VALUE and len(text) > 2000:
            self.warn("The value was cut to 2000 characters.")
            text = text[:2000]
        operation = {EXPRESSION: "expression", VALUE: "value", EMPTY: "empty"}[translation.operation]
        return "set_variable", {"variable": variable, "operation": operation, "value": text}, exits

    def _regex(self, pattern: str) -> str:
        """Typebot accepts `/pattern/flags`; ours takes the pattern with inline flags."""
        match = re.fullmatch(r"/(.+)/([gimsuy]*)", pattern, re.DOTALL)
        if not match:
            return pattern
        flags = "".join(f for f in match.group(2) if f in "ims")
        return f"(?{flags}){match.group(1)}" if flags else match.group(1)

    def _condition(self, block: Mapping, unit: Unit):
        branches, exits, taken = [], [], set()
        for number, item in enumerate(as_list(block.get("items"))[:50], start=1):
            if not isinstance(item, Mapping):
                continue
            content = as_mapping(item.get("content"))
            match = "any" if content.get("logicalOperator") == "OR" else "all"
            rules, dropped = [], 0
            for comparison in as_list(content.get("comparisons"))[:50]:
                comparison = as_mapping(comparison)
                operator = _OPERATORS.get(comparison.get("comparisonOperator"))
                variable = self.names.by_id(comparison.get("variableId"))
                if operator is None or variable is None:
                    dropped += 1
                    continue
                value = self.rewrite(comparison.get("value"), limit=2000, what="comparison value")
                if value in ("undefined", "null"):
                    value = ""
                if operator in ("matches_regex", "not_matches_regex"):
                    value = self._regex(value)
                rule = {"variable": variable, "operator": operator}
                if operator not in _NO_VALUE_OPERATORS:
                    rule["value"] = value
                rules.append(rule)
            if dropped and match == "all":
                self.warn(f"Condition {number} compares without a variable or an operator, so it never holds; dropped.")
                continue
            if dropped:
                self.warn(f"Condition {number}: comparisons without a variable or an operator were dropped.")
            if not rules:
                if as_list(content.get("comparisons")):
                    self.warn(f"Condition {number} has nothing left to compare; dropped.")
                continue
            branch_id = self._handle(item.get("id"), taken, "else")
            branches.append({"id": branch_id, "match": match, "rules": rules})
            exits.append((branch_id, self._item_edge(item) or NEXT))
        exits.append(("else", self._own(block)))
        return "condition", {"branches": branches}, exits

    def _redirect(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        url = self._url(options.get("url"), what="redirect URL")
        if not url:
            self._skip(block, "The redirect has no URL")
            return None
        return "redirect", {"url": url, "new_tab": bool(options.get("isNewTab"))}, [("next", self._own(block))]

    def _wait(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        raw = options.get("secondsToWaitFor")
        seconds = as_number(raw)
        if seconds is None:
            self.warn(f"The wait of {raw!r} seconds is not a number here; it waits 1 second.")
            seconds = 1
        if seconds > 60 or seconds < 0:
            self.warn(f"A wait of {seconds} seconds is over the 60 s allowed here; it waits {clamp(seconds, 0, 60):g}.")
        if options.get("shouldPause"):
            self.warn("The wait paused the flow until the visitor came back; here it only waits.")
        return "wait", {"seconds": clamp(seconds, 0, 60)}, [("next", self._own(block))]

    def _ab_test(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        percent = as_number(options.get("aPercent"))
        items = [item for item in as_list(block.get("items")) if isinstance(item, Mapping)]
        paths = {item.get("path"): item for item in items}
        exits = []
        for index, path in enumerate(("a", "b")):
            item = paths.get(path) or (items[index] if index < len(items) else {})
            exits.append((path, self._item_edge(item) or NEXT))
        return "ab_test", {"percent_a": clamp(50 if percent is None else percent, 0, 100)}, exits

    def _jump(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        group_id = options.get("groupId")
        if not isinstance(group_id, str) or not group_id or "{{" in group_id:
            self._skip(block, "The jump has no group to go to" if not group_id else "A jump to a {{variable}} group")
            unit.skip = END
            return None
        unit.pending, unit.target = "jump", (group_id, options.get("blockId"))
        return "jump", {"target": ""}, []

    def _flow_link(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        bot = options.get("typebotId")
        if not bot:
            self._skip(block, "The Typebot link names no bot")
            return None
        if bot not in ("current", self.document.get("id")):
            self._skip(block, "A Typebot link to another bot cannot be followed: that bot is not in this file")
            return None
        group_id = options.get("groupId") if isinstance(options.get("groupId"), str) and options["groupId"] else None
        unit.pending, unit.target = "link", (group_id,)
        return "flow_link", {"flow": "", "return_after": True}, [("next", self._own(block))]

    # Integrations

    def _pairs(self, pairs: Any, *, what: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for pair in as_list(pairs):
            key = as_text(as_mapping(pair).get("key")).strip()
            if key and len(found) < 50:
                found[key[:200]] = self.rewrite(as_mapping(pair).get("value"), limit=4096, what=what)
        return found

    def _http_request(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        request = as_mapping(options.get("webhook"))
        method = as_text(request.get("method")).upper() or "POST"
        url = self._url(request.get("url"), what="request URL")
        if method not in _HTTP_METHODS:
            self._skip(block, f"The HTTP method {method} is not supported here")
            return None
        if not url:
            self._skip(block, "The HTTP request has no URL")
            return None
        body = ""
        if options.get("isCustomBody"):
            body = self.rewrite(request.get("body"), limit=100_000, what="request body")
        elif method not in ("GET", "HEAD"):
            # Typebot sends the answers collected so far; the nearest here is every variable.
            pairs = (f'{json.dumps(original)}: "{{{{{ours}}}}}"' for original, ours in self.names.pairs())
            body = "{" + ", ".join(pairs) + "}"
            self.warn("Typebot sent the results as the body; here the body is every variable by name, as JSON.")
        timeout = as_number(options.get("timeout")) or 10
        if timeout > 30:
            self.warn(f"The timeout of {timeout} s is over the 30 s allowed here; it is 30 s.")
        mapping = []
        for item in as_list(options.get("responseVariableMapping"))[:50]:
            item = as_mapping(item)
            variable = self.names.by_id(item.get("variableId"))
            path = self._response_path(as_text(item.get("bodyPath")).strip())
            if variable and path:
                mapping.append({"path": path, "variable": variable})
            elif item.get("variableId") or item.get("bodyPath"):
                self.warn(f"The response mapping {item.get('bodyPath')!r} cannot be kept here; it was dropped.")
        if options.get("isExecutedOnClient"):
            self.warn("The request ran in the visitor's browser; here the server sends it.")
        data = {
            "method": method,
            "url": url,
            "headers": self._pairs(request.get("headers"), what="header"),
            "query": self._pairs(request.get("queryParams"), what="query parameter"),
            "body": body,
            "timeout": clamp(timeout, 1, 30),
            "mapping": mapping,
        }
        # Typebot goes on along its one edge whatever the response: both of ours go there.
        return "http_request", data, [("success", self._own(block)), ("failure", self._own(block))]

    @staticmethod
    def _response_path(path: str) -> str:
        """Typebot's `data.items[0].name` is rooted at the response; ours is `items.0.name`."""
        if path == "statusCode":
            return "status"
        path = re.sub(r"\[(\d+)\]", r".\1", path)
        if path == "data":
            return "$"
        if not path.startswith("data.") or not re.fullmatch(r"[\w$-]+(?:\.[\w$-]+)*", path):
            return ""
        return path[len("data.") :][:500]

    def _send_email(self, block: Mapping, unit: Unit):
        options = as_mapping(block.get("options"))
        recipients = [self.rewrite(r, limit=254, what="recipient").strip() for r in as_list(options.get("recipients"))]
        to = ", ".join(r for r in recipients if r)[:1000]
        if not to:
            self._skip(block, "The email has no recipient")
            return None
        lost = [name for name in ("cc", "bcc") if as_list(options.get(name))]
        lost += ["the HTML/code body"] if options.get("isBodyCode") else []
        lost += ["attachments"] if options.get("attachmentsVariableId") else []
        lost += ["its own SMTP server"] if options.get("credentialsId") not in (None, "", "default") else []
        if lost:
            self.warn(f"The email's {', '.join(lost)} cannot be kept here.")
        if options.get("isCustomBody"):
            body = self.rewrite(options.get("body"), what="email body")
        else:
            body = "\n".join(f"{original}: {{{{{ours}}}}}" for original, ours in self.names.pairs())[:MAX_TEXT]
            self.warn("Typebot's default email lists the answers; here the body lists every variable.")
        data = {
            "to": to,
            "subject": self.rewrite(options.get("subject"), limit=500, what="subject"),
            "body": body,
            "reply_to": self.rewrite(options.get("replyTo"), limit=254, what="reply-to address").strip(),
        }
        return "send_email", data, [("next", self._own(block))]
