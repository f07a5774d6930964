"""Validation and normalisation of answers, one parse function per input type.

Each `parse_<type>(value, data, …)` returns the value to store or raises `InvalidAnswer` with a
short explanation (it goes to the answer's `error` and the log, not to the visitor, who sees the
input's `retry_message`). Heavy libraries (dateparser, phonenumbers, Django's validators) are
imported on first use so importing the runner stays fast.
"""

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from executions.runner.templating import format_value

MAX_ANSWER_LENGTH = 10_000


class InvalidAnswer(ValueError):
    """The answer does not fit the input; `str(exc)` says why."""


def _text(value: Any, *, what: str = "answer", max_length: int = MAX_ANSWER_LENGTH) -> str:
    if value is None:
        raise InvalidAnswer(f"The {what} is empty.")
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = format_value(value)
    else:
        raise InvalidAnswer(f"The {what} must be text, not {type(value).__name__}.")
    text = text.strip()
    if not text:
        raise InvalidAnswer(f"The {what} is empty.")
    if len(text) > max_length:
        raise InvalidAnswer(f"The {what} is longer than {max_length} characters.")
    return text


# --- text ------------------------------------------------------------------------------------


def parse_text(value: Any, data: Mapping[str, Any]) -> str:
    """Stripped text within `min_length`..`max_length`. Numbers are taken as text; an empty
    answer is always refused (a visitor who wants to skip needs a choice for that)."""
    text = _text(value)
    min_length = data.get("min_length") or 0
    max_length = data.get("max_length") or MAX_ANSWER_LENGTH
    if len(text) < min_length:
        raise InvalidAnswer(f"The answer is shorter than {min_length} characters.")
    if len(text) > max_length:
        raise InvalidAnswer(f"The answer is longer than {max_length} characters.")
    return text


# --- number ----------------------------------------------------------------------------------

_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,30}(?:[.,]\d{0,30})?|[.,]\d{1,30})$")
STEP_TOLERANCE = 1e-9


def to_number(value: Any) -> int | float | None:
    """A finite number from a number or text with a dot or comma decimal ("3,5" → 3.5,
    " 12 " → 12); None when it is not one. Booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _NUMBER_TEXT.match(text):
            return None
        number = float(text.replace(",", "."))
        if "." not in text and "," not in text:
            return int(text)
    else:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def parse_number(value: Any, data: Mapping[str, Any]) -> int | float:
    """A number within `min`..`max` and on the `step` grid (counted from `min`, or 0)."""
    number = to_number(value)
    if number is None:
        raise InvalidAnswer("The answer is not a number.")
    low, high, step = to_number(data.get("min")), to_number(data.get("max")), to_number(data.get("step"))
    if low is not None and number < low:
        raise InvalidAnswer(f"The number is below the minimum ({format_value(low)}).")
    if high is not None and number > high:
        raise InvalidAnswer(f"The number is above the maximum ({format_value(high)}).")
    if step:
        steps = (number - (low or 0)) / step
        if abs(steps - round(steps)) > STEP_TOLERANCE * max(1.0, abs(steps)):
            raise InvalidAnswer(f"The number is not a multiple of the step ({format_value(step)}).")
    return number


# --- email, phone, url -----------------------------------------------------------------------


def parse_email(value: Any, data: Mapping[str, Any]) -> str:
    """A valid address (Django's validator), stripped and lower-cased."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = _text(value, what="email address", max_length=254).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidAnswer("The email address is not valid.") from exc
    return email


def parse_phone(value: Any, data: Mapping[str, Any]) -> str:
    """A valid number in E.164 form. Without a `+` prefix the number is read as a national
    number of `default_country`; without a default country it needs the prefix."""
    import phonenumbers

    text = _text(value, what="phone number", max_length=40)
    region = (data.get("default_country") or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidAnswer(f"The phone number does not parse ({exc.error_type}).") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidAnswer("The phone number is not valid.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")


def parse_url(value: Any, data: Mapping[str, Any]) -> str:
    """An http(s) URL with a host. A value without a scheme ("example.com/x") is taken as
    https; any other scheme (mailto:, javascript:…) is refused. The scheme and host are
    lower-cased; the rest is kept as typed."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    text = _text(value, what="URL", max_length=2048)
    scheme = _SCHEME.match(text)
    if scheme and (scheme.group(2) or not text[scheme.end() :][:1].isdigit()):
        # "x:" followed by a port number is a host, anything else is a scheme.
        if scheme.group(1).lower() not in ("http", "https") or not scheme.group(2):
            raise InvalidAnswer("Only http and https URLs are accepted.")
    else:
        text = "https://" + text
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as exc:
        raise InvalidAnswer("The URL is not valid.") from exc
    parts = urlsplit(text)
    if not parts.hostname:
        raise InvalidAnswer("The URL has no host.")
    netloc = parts.netloc
    host_start = netloc.rfind("@") + 1
    netloc = netloc[:host_start] + netloc[host_start:].lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


# --- date ------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_RANGE_SEPARATOR = re.compile(r"\s+(?:to|until|till|-|–|—)\s+", re.IGNORECASE)
MAX_DATE_LENGTH = 100


def _dateparser_settings(now: datetime) -> dict[str, Any]:
    return {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "DMY",
        # No "timestamp" parser: "1700000000" is not a date a visitor types.
        "PARSERS": ["relative-time", "absolute-time"],
    }


def natural_date(text: str, now: datetime) -> datetime | None:
    import dateparser

    return dateparser.parse(text, languages=["en"], settings=_dateparser_settings(now))


def warm_up() -> None:
    """Load dateparser's data (its first parse costs ~0.1-0.3 s). Call it at worker start so
    no visitor pays for it; the runner works without it."""
    natural_date("tomorrow", datetime(2000, 1, 1))  # noqa: DTZ001 - dateparser works on naive datetimes


def iso_datetime(value: Any) -> datetime | None:
    """A naive datetime (UTC wall time) from ISO text (a date, or a date and time), else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _one_date(value: Any, now: datetime) -> datetime:
    """A naive datetime (UTC wall time) from ISO text, d/m/yyyy, or natural language."""
    text = _text(value, what="date", max_length=MAX_DATE_LENGTH)
    parsed = iso_datetime(text)
    if parsed is not None:
        return parsed
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        first, second, year = (int(part) for part in numeric.groups())
        # Day first (the international reading), unless only month-first makes sense.
        day, month = (second, first) if first <= 12 < second else (first, second)
        try:
            return datetime(year, month, day)  # noqa: DTZ001 - naive UTC wall time, like dateparser's
        except ValueError as exc:
            raise InvalidAnswer("The date does not exist.") from exc
    parsed = natural_date(text, now)
    if parsed is None:
        raise InvalidAnswer("The answer is not a date.")
    return parsed


def _bound(text: Any) -> date | None:
    if not text or not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _split_range(value: Any) -> Sequence[Any]:
    if isinstance(value, Mapping):
        return [value.get("start"), value.get("end")]
    if isinstance(value, list | tuple):
        parts = list(value)
    elif isinstance(value, str):
        parts = _RANGE_SEPARATOR.split(value.strip(), maxsplit=2)
    else:
        parts = []
    if len(parts) != 2:
        raise InvalidAnswer("A range needs a start and an end, like “May 1 to May 5”.")
    return parts


def parse_date(value: Any, data: Mapping[str, Any], *, now: datetime) -> str | dict[str, str]:
    """A date (with its time when `with_time`), within `min`..`max` (dates, inclusive), stored
    as ISO `YYYY-MM-DD` / `YYYY-MM-DDTHH:MM` or with the `format` (strftime) when set. A
    `range` takes "A to B", "A - B", a list of two or {"start", "end"} and stores both ends.
    Relative dates ("tomorrow", "next friday") count from `now`, preferring the future."""
    with_time = bool(data.get("with_time"))
    if data.get("range"):
        start, end = (_one_date(part, now) for part in _split_range(value))
        if not with_time:
            start, end = _day(start), _day(end)
        if end < start:
            raise InvalidAnswer("The range ends before it starts.")
        _check_bounds(start, data)
        _check_bounds(end, data)
        return {"start": _format_date(start, data), "end": _format_date(end, data)}
    if isinstance(value, list | tuple | Mapping):
        raise InvalidAnswer("Expected one date.")
    moment = _one_date(value, now)
    if not with_time:
        moment = _day(moment)
    _check_bounds(moment, data)
    return _format_date(moment, data)


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _check_bounds(moment: datetime, data: Mapping[str, Any]) -> None:
    low, high = _bound(data.get("min")), _bound(data.get("max"))
    if low is not None and moment.date() < low:
        raise InvalidAnswer(f"The date is before {low.isoformat()}.")
    if high is not None and moment.date() > high:
        raise InvalidAnswer(f"The date is after {high.isoformat()}.")


def _format_date(moment: datetime, data: Mapping[str, Any]) -> str:
    pattern = data.get("format")
    if pattern and isinstance(pattern, str):
        try:
            return moment.strftime(pattern)
        except ValueError:
            pass  # a format the platform refuses: fall back to ISO
    if data.get("with_time"):
        return moment.strftime("%Y-%m-%dT%H:%M")
    return moment.date().isoformat()


# --- rating ----------------------------------------------------------------------------------

_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,9}$")


def parse_rating(value: Any, data: Mapping[str, Any]) -> int:
    """An integer of the scale `min`..`max` ("7" and 7 and 7.0, not 7.5)."""
    score: int | None = None
    if isinstance(value, bool):
        score = None
    elif isinstance(value, int):
        score = value
    elif isinstance(value, float) and value.is_integer():
        score = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        score = int(value.strip())
    if score is None:
        raise InvalidAnswer("The rating must be a whole number.")
    low, high = data.get("min", 0), data.get("max", 10)
    low = 0 if low is None else low
    high = 10 if high is None else high
    if not low <= score <= high:
        raise InvalidAnswer(f"The rating must be between {low} and {high}.")
    return score


# --- choice ----------------------------------------------------------------------------------


MAX_CHOSEN = 200


def text_key(value: Any) -> str:
    """How answers and rules compare as text: as displayed, trimmed, case-insensitive."""
    return format_value(value).strip().casefold()


MAX_DYNAMIC_OPTIONS = 100


def _dynamic_options(data: Mapping[str, Any], variables: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = variables.get(data.get("dynamic_variable") or "")
    if not isinstance(items, list | tuple):
        items = [] if items is None or items == "" else [items]
    images = variables.get(data.get("dynamic_image_variable") or "")
    images = images if isinstance(images, list | tuple) else []
    options = []
    for index, item in enumerate(items[:MAX_DYNAMIC_OPTIONS]):
        text = format_value(item).strip()
        if text:
            image = format_value(images[index]).strip() if index < len(images) else ""
            options.append({"id": f"d{index + 1}", "label": text[:200], "value": text[:500], "image_url": image})
    return options


def choice_options(data: Mapping[str, Any], variables: Mapping[str, Any] | None = None) -> list[Mapping[str, Any]]:
    """A choice node's usable options: mappings with an id (what is shown and what can match).

    With a `dynamic_variable` holding items, those are the options instead (ids `d1`, `d2`…
    by position), marked `dynamic`: their labels are the items as they are, never templates."""
    if data.get("dynamic_variable") and variables is not None:
        dynamic = _dynamic_options(data, variables)
        if dynamic:
            return [{**option, "dynamic": True} for option in dynamic]
    return [option for option in data.get("options") or [] if isinstance(option, Mapping) and option.get("id")]


def option_label(option: Mapping[str, Any], render: Callable[[Any], str]) -> str:
    return option["label"] if option.get("dynamic") else render(option.get("label") or "")


class _OptionIndex:
    """The options by the text key of their id, value and label, built once per answer.

    An answer matches by id first, then value, then label, so an option whose label is
    another's id cannot shadow that option; within one field the first option wins."""

    def __init__(self, options: list[Mapping[str, Any]], labels: Mapping[str, str]):
        self.by_field: list[dict[str, Mapping[str, Any]]] = []
        for field in ("id", "value", "label"):
            index: dict[str, Mapping[str, Any]] = {}
            for option in options:
                candidate = labels.get(option["id"], "") if field == "label" else option.get(field)
                if candidate is not None and candidate != "":
                    index.setdefault(text_key(candidate), option)
            self.by_field.append(index)

    def find(self, token: Any) -> Mapping[str, Any] | None:
        if isinstance(token, list | tuple | Mapping):
            return None
        key = text_key(token)
        if not key:
            return None
        for index in self.by_field:
            if key in index:
                return index[key]
        return None


def parse_choice(
    value: Any,
    data: Mapping[str, Any],
    *,
    render: Callable[[Any], str] = format_value,
    variables: Mapping[str, Any] | None = None,
) -> tuple[Any, str | None]:
    """Match the answer to the options (by id, value or label, case-insensitive, stripped).
    Returns (value to store, chosen option id: None for a multiple choice or a dynamic option,
    which have no handle of their own). A single choice
    stores the option's value, or its label when the value is empty; a multiple choice takes a
    list (or one option, or comma-separated options when every part matches) and stores the
    list of values, in the visitor's order, without repeats. `variables` fill dynamic options."""
    options = choice_options(data, variables)
    labels = {option["id"]: option_label(option, render) for option in options}
    index = _OptionIndex(options, labels)

    def stored(option: Mapping[str, Any]) -> Any:
        return option.get("value") or labels[option["id"]]

    if not data.get("multiple"):
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        option = index.find(value)
        if option is None:
            raise InvalidAnswer("The answer is not one of the options.")
        return stored(option), None if option.get("dynamic") else option["id"]

    if isinstance(value, list | tuple):
        tokens = list(value)
    elif index.find(value) is not None:
        tokens = [value]
    elif isinstance(value, str) and "," in value:
        tokens = value.split(",")
    else:
        tokens = [value]
    if len(tokens) > MAX_CHOSEN:
        raise InvalidAnswer("Too many options.")
    chosen: dict[str, Mapping[str, Any]] = {}
    for token in tokens:
        option = index.find(token)
        if option is None:
            raise InvalidAnswer("The answer is not one of the options.")
        chosen.setdefault(option["id"], option)
    if not chosen:
        raise InvalidAnswer("Pick at least one option.")
    return [stored(option) for option in chosen.values()], None


# --- file ------------------------------------------------------------------------------------

BYTES_PER_MB = 1024 * 1024


def _type_allowed(allowed: Sequence[str], name: str, content_type: str) -> bool:
    if not allowed:
        return True
    name, content_type = name.lower(), content_type.lower().split(";")[0].strip()
    for pattern in allowed:
        pattern = str(pattern).lower().strip()
        if pattern.startswith("."):
            if name.endswith(pattern):
                return True
        elif pattern.endswith("/*"):
            if content_type.startswith(pattern[:-1]):
                return True
        elif content_type == pattern:
            return True
    return False


def parse_file(value: Any, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The uploaded file's description `{"url", "name", "size", "content_type"}` (the service
    stores the file and passes this), checked against `allowed_types` (MIME types, `type/*`
    wildcards, `.ext` extensions) and `max_size_mb`. An empty value skips the input when it is
    not `required`, storing None."""
    if value is None or value == "" or (isinstance(value, Mapping | list | tuple) and not value):
        if data.get("required", True):
            raise InvalidAnswer("A file is required.")
        return None
    if not isinstance(value, Mapping):
        raise InvalidAnswer("Expected an uploaded file.")
    url, name, size = value.get("url"), value.get("name"), value.get("size")
    content_type = value.get("content_type") or ""
    if not isinstance(url, str) or not url or not isinstance(name, str) or not isinstance(content_type, str):
        raise InvalidAnswer("The file description is incomplete.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidAnswer("The file size is missing.")
    if not _type_allowed(data.get("allowed_types") or [], name, content_type):
        raise InvalidAnswer(f"Files of type {content_type or name!r} are not accepted.")
    max_size_mb = to_number(data.get("max_size_mb"))
    if max_size_mb is not None and size > max_size_mb * BYTES_PER_MB:
        raise InvalidAnswer(f"The file is larger than {format_value(max_size_mb)} MB.")
    return {"url": url, "name": name, "size": size, "content_type": content_type}
