"""Typebot's texts: variables named `{{Any Name}}`, rich text (Plate/Slate JSON) flattened to
markdown, and the renaming of variable names that are not valid here."""

import html
import json
import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from components.exceptions import ImportRefused
from components.templating import EXPRESSION_BUILTINS, VARIABLE_NAME_RE

MAX_NAME_LENGTH = 64
MAX_DEFAULT_TEXT = 10_000
MAX_DEFAULT_ITEMS = 1000
MAX_DEFAULT_BYTES = 10_000  # what the graph API accepts as a variable's default

# Names that are valid here but mean something else in an expression.
RESERVED_NAMES = frozenset(EXPRESSION_BUILTINS) | frozenset(keyword.kwlist)

TYPEBOT_PLACEHOLDER_RE = re.compile(r"\{\{([^{}]+)\}\}")
INLINE_CODE_RE = re.compile(r"\{\{=(.+?)=\}\}", re.DOTALL)


def _base_name(name: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9_]+", "_", text)
    text = re.sub(r"_+", "_", text).strip("_") or "variable"
    if text[0].isdigit():
        text = f"v_{text}"
    text = text[:MAX_NAME_LENGTH]
    if text in RESERVED_NAMES:
        text = f"{text}_"
    return text


def _unique(base: str, taken: set[str], counters: dict[str, int]) -> str:
    if base not in taken:
        return base
    counter = counters.get(base, 1)
    while True:  # the counter per base keeps many clashes of one base linear, not quadratic
        counter += 1
        suffix = f"_{counter}"
        candidate = base[: MAX_NAME_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            counters[base] = counter
            return candidate


def _default(value: Any) -> Any:
    """A variable's initial value as it may be stored here (at most MAX_DEFAULT_BYTES of JSON),
    or None."""
    value = _default_value(value)
    return value if len(json.dumps(value)) <= MAX_DEFAULT_BYTES else None


def _default_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_DEFAULT_TEXT]
    if isinstance(value, list):
        items = [item[:MAX_DEFAULT_TEXT] if isinstance(item, str) else None for item in value[:MAX_DEFAULT_ITEMS]]
        return [item for item in items if item is not None]
    return None


class VariableNames:
    """Typebot's variables under names valid here.

    Blocks name variables by id, texts by name. A valid name that means nothing else here keeps
    its name; the others are renamed deterministically (accents dropped, other characters
    `_`, a digit first gets `v_`, clashes get `_2`, `_3`…), in the order of the file. A text
    naming a variable the file does not declare gets one declared for it (empty, as Typebot
    reads it)."""

    def __init__(
        self, variables: Iterable[Mapping[str, Any]], *, warn: Callable[[str], None], max_variables: int
    ) -> None:
        self._warn = warn
        self._max = max_variables
        self._counters: dict[str, int] = {}
        self._by_id: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._declared: list[dict[str, Any]] = []
        self._originals: list[tuple[str, str]] = []
        self.renamed: dict[str, str] = {}
        variables = [v for v in variables if isinstance(v.get("id"), str) and isinstance(v.get("name"), str)]
        taken: set[str] = set()
        names: dict[int, str] = {}
        for index, variable in enumerate(variables):  # valid names first keep what they are
            name = variable["name"]
            if VARIABLE_NAME_RE.match(name) and name not in RESERVED_NAMES and name not in taken:
                names[index] = name
                taken.add(name)
        for index, variable in enumerate(variables):
            if index not in names:
                names[index] = _unique(_base_name(variable["name"]), taken, self._counters)
                taken.add(names[index])
        for index, variable in enumerate(variables):
            original, ours = variable["name"], names[index]
            if variable["id"] in self._by_id:
                continue
            self._by_id[variable["id"]] = ours
            if original in self._by_name:
                self._warn(
                    f"Two variables are named {original!r}; the second is {ours!r} here "
                    f"(texts that say {{{{{original}}}}} read the first, as in Typebot)."
                )
            else:
                self._by_name[original] = ours
                if ours != original:
                    self.renamed[original] = ours
            self._declared.append({"name": ours, "default": _default(variable.get("value"))})
            self._originals.append((original, ours))
        self._taken = taken

    def by_id(self, variable_id: Any) -> str | None:
        """Our name of the variable with this Typebot id; None (the caller warns) if unknown."""
        return self._by_id.get(variable_id) if isinstance(variable_id, str) and variable_id else None

    def by_name(self, name: str) -> str:
        """Our name for `{{name}}` in a text, declaring a variable when the file has none by
        that name (exactly, else once surrounding spaces are trimmed)."""
        for candidate in (name, name.strip()):
            if candidate in self._by_name:
                return self._by_name[candidate]
        if len(self._declared) >= self._max:
            raise ImportRefused({"variables": [f"The bot uses more than {self._max} variables."]})
        ours = _unique(_base_name(name.strip() or "variable"), self._taken, self._counters)
        self._taken.add(ours)
        self._by_name[name] = ours
        if ours != name:
            self.renamed[name] = ours
        self._declared.append({"name": ours, "default": None})
        self._originals.append((name, ours))
        self._warn(f"{{{{{name}}}}} names no variable of the file; {ours!r} was declared for it (empty).")
        return ours

    def rewrite(self, text: str, *, on_inline_code: Callable[[str], None] | None = None) -> str:
        """`text` with every `{{Name}}` under our name. Inline JavaScript (`{{= … =}}`) cannot
        run here: it is removed, and `on_inline_code` hears of it."""
        if "{{" not in text:
            return text

        def drop_code(match: re.Match) -> str:
            if on_inline_code is not None:
                on_inline_code(match.group(1))
            return ""

        text = INLINE_CODE_RE.sub(drop_code, text)
        return TYPEBOT_PLACEHOLDER_RE.sub(lambda m: "{{" + self.by_name(m.group(1)) + "}}", text)

    def declared(self) -> list[dict[str, Any]]:
        return list(self._declared)

    def pairs(self) -> list[tuple[str, str]]:
        """(Typebot's name, our name) of every variable, in the file's order."""
        return list(self._originals)


# --- Rich text ---------------------------------------------------------------------------------

_MARKS = (("code", "`", "`"), ("bold", "**", "**"), ("italic", "*", "*"), ("strikethrough", "~~", "~~"))


def _wrap(text: str, marks: tuple[str, ...]) -> str:
    core = text.strip()
    if not core or not marks:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    for mark, opening, closing in _MARKS:
        if mark in marks:
            core = f"{opening}{core}{closing}"
    return f"{lead}{core}{trail}"


def _inline(children: Any) -> str:
    parts: list[str] = []
    run_text, run_marks = "", ()
    for child in children if isinstance(children, list) else []:
        if not isinstance(child, Mapping):
            continue
        if "text" in child and "children" not in child:
            text = child["text"] if isinstance(child["text"], str) else ""
            marks = tuple(mark for mark, _, _ in _MARKS if child.get(mark))
            if marks == run_marks:
                run_text += text
            else:
                parts.append(_wrap(run_text, run_marks))
                run_text, run_marks = text, marks
            continue
        parts.append(_wrap(run_text, run_marks))
        run_text, run_marks = "", ()
        inner = _inline(child.get("children"))
        if child.get("type") == "a" and isinstance(child.get("url"), str) and child["url"].strip():
            url = child["url"].strip()
            parts.append(f"[{inner or url}]({url})")
        else:
            parts.append(inner)
    parts.append(_wrap(run_text, run_marks))
    return "".join(parts)


def _lines(element: Any, indent: str = "") -> list[str]:
    if not isinstance(element, Mapping):
        return []
    kind = element.get("type")
    children = element.get("children") if isinstance(element.get("children"), list) else []
    if kind in ("ul", "ol"):
        lines: list[str] = []
        number = 0
        for item in children:
            if not isinstance(item, Mapping):
                continue
            number += 1
            bullet = "- " if kind == "ul" else f"{number}. "
            item_lines = _item_lines(item, indent + " " * len(bullet))
            if item_lines:
                lines.append(f"{indent}{bullet}{item_lines[0].lstrip()}")
                lines.extend(item_lines[1:])
        return lines
    if any(isinstance(c, Mapping) and c.get("type") in ("ul", "ol", "p", "li", "lic") for c in children):
        return [line for child in children for line in _lines(child, indent)]
    return [f"{indent}{_inline(children)}"]


def _item_lines(item: Mapping, indent: str) -> list[str]:
    """A list item: its own text (`lic`) then its nested lists, indented under it."""
    texts, nested = [], []
    for child in item.get("children") if isinstance(item.get("children"), list) else []:
        if isinstance(child, Mapping) and child.get("type") in ("ul", "ol"):
            nested.extend(_lines(child, indent))
        elif isinstance(child, Mapping) and "children" in child:
            texts.append(_inline(child["children"]))
        elif isinstance(child, Mapping):
            texts.append(_inline([child]))
    return [indent + "".join(texts), *nested]


def flatten_rich_text(elements: Any) -> str:
    """Typebot's rich text as our markdown text: paragraphs on their own lines, `**bold**`,
    `*italic*`, `~~strikethrough~~`, `` `code` ``, `[text](url)` links, `- ` and `1. ` lists
    (underline has no markdown and is dropped)."""
    elements = elements if isinstance(elements, list) else []
    lines = [line.rstrip() for element in elements for line in _lines(element)]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def html_to_text(markup: str) -> str:
    """Old exports keep a bubble's text as HTML only: line breaks kept, tags dropped."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", markup)
    text = re.sub(r"<[^>]*>", "", text)
    return html.unescape(text).strip()
