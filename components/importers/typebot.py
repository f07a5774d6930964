"""Typebot exports (`"version": "6"` or `"6.1"`) as an import plan of our own.

How Typebot's graph becomes ours:

- Every block is one node (a text bubble a `message`, an input the input, …) with the block's
  id. A group's blocks run in order with no edges between them, so consecutive blocks get a
  `next` edge; a block's own `outgoingEdgeId` leaves the group instead, to the block an edge
  points at (`to.blockId`, else the first block of `to.groupId`). The group's last block with
  no edge ends the chat: a dead end here. The first node of a group carries its title as label.
- An item (a button, a condition, an A/B path) with an edge gets a handle of its own; a button
  without one follows the block's edge or the next block (our `default`), a condition or A/B
  path without one goes on with the next block of its group, and the condition's own edge is
  our `else`.
- A block we have no counterpart for is left out with a warning, and whatever led to it goes
  where it would have gone next, so the bot still runs.
- A Typebot link to a group of the same bot is a call that comes back: the groups it reaches
  become a flow of their own, called by a `flow_link` that returns.
- Groups nothing reaches are imported as they are; their nodes are unreachable (a warning).

`BLOCK_TYPES` is the mapping table: every Typebot block type, our counterpart, and how much of
it carries over. It is what the README's table and counts are measured from.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from chatbots.options import options_clean
from components.catalog import COMPONENT_TYPES
from components.exceptions import ImportRefused
from components.graph import GraphDraft
from components.importers.plan import ImportPlan, ImportReport, PlannedFlow
from components.importers.typebot_js import EMPTY, EXPRESSION, UNSUPPORTED, VALUE, translate_custom
from components.importers.typebot_text import VariableNames, flatten_rich_text, html_to_text

VERSIONS = ("6", "6.1")
MAX_GROUPS = 2_000
MAX_BLOCKS = 10_000
MAX_ITEMS = 200
MAX_EDGES = 20_000
MAX_VARIABLES = 500
MAX_LINKED_FLOWS = 50
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
_BY_TYPE = {block.type: block for block in BLOCK_TYPES}

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
_HTTP_TYPES = ("Webhook", "Zapier", "Make.com", "Pabbly")
_VARIABLE_ONLY = re.compile(r"^\s*\{\{[^{}]+\}\}\s*$")
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
_NEXT: tuple = ("next",)
_END: tuple = ("end",)


@dataclass
class _Unit:
    """One block: its node (None when the block is left out or empty) and its exits, each a
    handle and a continuation: ("edge", edge id), ("next",) the next block of the group, or
    ("end",). `skip` is where a block without node sends what led to it. A Jump or Typebot
    link is `pending` until its target is resolved."""

    block: Mapping
    group: int
    index: int
    node: dict | None = None
    exits: list[tuple[str, tuple]] = field(default_factory=list)
    skip: tuple = _NEXT
    pending: str = ""
    target: tuple = ()
    settling: bool = False


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | int | None:
    """A finite number from a number or numeric text ("12", "1.5"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,15}(?:\.\d{1,15})?\s*", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


def _clamp(value: float, low: float, high: float) -> float:
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


class TypebotImporter:
    """Turns a Typebot export into an ImportPlan. Raises ImportRefused when the file is not a
    Typebot 6 export or is too large; tolerates inconsistencies real files have (dangling
    edges, unknown variable ids, `{{names}}` of no variable), each with a warning."""

    def __init__(self, document: Mapping, *, max_nodes: int) -> None:
        self.document = document
        self.max_nodes = max_nodes
        _check_document(document)
        self.report = ImportReport(source="typebot", source_version=document["version"])
        self.names = VariableNames(_list(document.get("variables")), warn=self.report.warn, max_variables=MAX_VARIABLES)
        self.groups: list[Mapping] = list(document["groups"])
        self.group_index = {g["id"]: i for i, g in enumerate(self.groups)}
        self.block_index = {
            (gi, block["id"]): bi for gi, group in enumerate(self.groups) for bi, block in enumerate(group["blocks"])
        }
        self.edges = {e["id"]: e for e in _list(document.get("edges")) if isinstance(e, Mapping)}
        self.node_ids = self._node_ids()
        self.links: dict[str, str] = {}  # entry node id of a linked group -> flow key
        self._entries: dict[tuple[int, int], str | None] = {}
        self._warned: set[str] = set()
        self._block: Mapping | None = None

    # --- Warnings ----------------------------------------------------------------------------

    def warn(self, message: str, block: Mapping | None = None) -> None:
        block = block if block is not None else self._block
        self.report.warn(
            message,
            block_id=block.get("id") if block else None,
            block_type=block.get("type") if block else None,
        )

    def rewrite(self, text: Any, *, limit: int = MAX_TEXT, what: str = "text") -> str:
        """A Typebot text with our variable names, cut to `limit` characters (with a warning)."""
        text = self.names.rewrite(
            _text(text),
            on_inline_code=lambda code: self.warn(
                f"Inline JavaScript {{{{={code[:60]}=}}}} cannot run here; it was removed from the {what}."
            ),
        )
        if len(text) > limit:
            self.warn(f"The {what} was cut to {limit} characters.")
            text = text[:limit]
        return text

    def variable(self, variable_id: Any, *, what: str = "the answer") -> str:
        """Our name for the variable a block names by id; "" (with a warning) when the file
        declares no variable with that id."""
        if not variable_id:
            return ""
        name = self.names.by_id(variable_id)
        if name is None:
            self.warn(f"The block names a variable the file does not declare ({variable_id!r}); {what} is not saved.")
            return ""
        return name

    # --- The plan ----------------------------------------------------------------------------

    def plan(self) -> ImportPlan:
        self.units = [
            [self._unit(block, gi, bi) for bi, block in enumerate(group["blocks"])]
            for gi, group in enumerate(self.groups)
        ]
        self._block = None
        try:
            start = self._start_entry()
            for row in self.units:
                for unit in row:
                    self._settle(unit)
        except RecursionError:  # jumps into jumps into jumps… only a hostile file chains that deep
            raise ImportRefused({"groups": ["Jumps and Typebot links lead into each other too deeply."]}) from None
        if len(self.links) > MAX_LINKED_FLOWS:
            raise ImportRefused(
                {"groups": [f"Typebot links call {len(self.links)} different groups; at most {MAX_LINKED_FLOWS}."]}
            )
        edges = self._wire()
        flows = self._flows(start, edges)
        variables = self.names.declared()
        if len(variables) > MAX_VARIABLES:
            raise ImportRefused({"variables": [f"The bot uses {len(variables)} variables; at most {MAX_VARIABLES}."]})
        for planned in flows:
            planned.graph.variables = variables
        self.report.renamed_variables = dict(self.names.renamed)
        orphans = len(set(self.edges) - self._referenced_edges())
        if orphans:
            self.report.warn(f"{orphans} edge(s) of the file leave from no block; Typebot does not follow them either.")
        return ImportPlan(
            name=(_text(self.document.get("name")).strip() or "Imported Typebot")[:200],
            flows=flows,
            report=self.report,
            appearance=_appearance(self.document),
            behavior=_behavior(self.document),
        )

    def _node_ids(self) -> dict[tuple[int, int], str]:
        """Our node ids: the block ids where they are valid here, else `b<n>` (never "start")."""
        taken, ids = {"start"}, {}
        for gi, group in enumerate(self.groups):
            for bi, block in enumerate(group["blocks"]):
                node_id = block["id"] if re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", block["id"]) else ""
                if not node_id or node_id in taken:
                    node_id = f"b{len(taken)}"
                    while node_id in taken:
                        node_id += "_"
                taken.add(node_id)
                ids[gi, bi] = node_id
        return ids

    def _referenced_edges(self) -> set[str]:
        referenced = {e.get("outgoingEdgeId") for e in _list(self.document.get("events")) if isinstance(e, Mapping)}
        for group in self.groups:
            for block in group["blocks"]:
                referenced.add(block.get("outgoingEdgeId"))
                referenced |= {
                    item.get("outgoingEdgeId") for item in _list(block.get("items")) if isinstance(item, Mapping)
                }
        return {edge_id for edge_id in referenced if isinstance(edge_id, str)}

    def _start_entry(self) -> str | None:
        events = [e for e in _list(self.document.get("events")) if isinstance(e, Mapping)]
        start = next((e for e in events if e.get("type") == "start"), events[0] if events else None)
        edge_id = _mapping(start).get("outgoingEdgeId")
        if not isinstance(edge_id, str):
            self._warn_once("The start event leads nowhere: the chat ends as soon as it starts.")
            return None
        return self._follow(None, ("edge", edge_id))

    # --- Resolution: where a continuation lands -------------------------------------------------

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self.report.warn(message)

    def _entry(self, position: tuple[int, int] | None) -> str | None:
        """The node a chat reaches when it enters group `gi` at block `bi`: the block's own node,
        or for a block without node wherever it would have led (followed without recursion: a
        file may hold long runs of left-out blocks)."""
        path: list[tuple[int, int]] = []
        result = None
        while position is not None:
            if position in self._entries:
                result = self._entries[position]
                break
            gi, bi = position
            if position in path or bi >= len(self.units[gi]):
                break  # the group ends here, or a loop of blocks that all lead on
            unit = self.units[gi][bi]
            if unit.settling:
                result = unit.node["id"]
                break
            self._settle(unit)
            if unit.node is not None:
                result = unit.node["id"]
                break
            path.append(position)
            position = self._position(unit, unit.skip)
        for visited in path:
            self._entries[visited] = result
        return result

    def _locate(self, group_id: Any, block_id: Any, *, what: str) -> tuple[int, int] | None:
        gi = self.group_index.get(group_id) if isinstance(group_id, str) else None
        if gi is None:
            self._warn_once(f"{what} points at a group that is not in the file ({group_id!r}); the chat ends there.")
            return None
        bi = 0
        if isinstance(block_id, str) and block_id:
            bi = self.block_index.get((gi, block_id), -1)
            if bi < 0:
                self._warn_once(
                    f"{what} points at a block that is not in its group ({block_id!r}); it enters the group."
                )
                bi = 0
        return gi, bi

    def _position(self, unit: _Unit | None, continuation: tuple) -> tuple[int, int] | None:
        """Where a continuation lands: (group, block index), or None when the chat ends there."""
        kind = continuation[0]
        if kind == "next" and unit is not None:
            return unit.group, unit.index + 1
        if kind == "edge":
            edge = self.edges.get(continuation[1])
            if edge is None:
                self._warn_once(f"Edge {continuation[1]!r} is named but not in the file; the chat ends there.")
                return None
            to = _mapping(edge.get("to"))
            return self._locate(to.get("groupId"), to.get("blockId"), what=f"Edge {edge['id']!r}")
        return None

    def _follow(self, unit: _Unit | None, continuation: tuple) -> str | None:
        return self._entry(self._position(unit, continuation))

    def _settle(self, unit: _Unit) -> None:
        """Resolve a Jump or Typebot link: a jump to nothing and a link to a group that does
        nothing are left out (the chat goes where the block would have gone)."""
        if not unit.pending or unit.settling:
            return
        unit.settling = True
        kind, unit.pending = unit.pending, ""
        if kind == "jump":
            target = self._entry(self._locate(*unit.target, what="The jump"))
            if target is None:
                unit.node, unit.skip = None, _END
            else:
                unit.node["data"]["target"] = target
        else:
            group_id = unit.target[0]
            if group_id is None:
                target = self._start_entry()
            else:
                target = self._entry(self._locate(group_id, None, what="The Typebot link"))
            if target is None:
                unit.node = None
            else:
                unit.node["data"]["flow"] = self.links.setdefault(target, f"link{len(self.links) + 1}")
        unit.settling = False

    def _wire(self) -> list[tuple[str, str, str]]:
        edges = []
        for row in self.units:
            for unit in row:
                if unit.node is None:
                    continue
                for handle, continuation in unit.exits:
                    target = self._follow(unit, continuation)
                    if target is not None:
                        edges.append((unit.node["id"], handle, target))
        return edges

    # --- Flows -------------------------------------------------------------------------------

    def _flows(self, start: str | None, edges: list[tuple[str, str, str]]) -> list[PlannedFlow]:
        nodes = {unit.node["id"]: unit for row in self.units for unit in row if unit.node is not None}
        successors: dict[str, list[str]] = {node_id: [] for node_id in nodes}
        for source, _, target in edges:
            successors[source].append(target)
        for node_id, unit in nodes.items():
            if unit.node["type"] == "jump":
                successors[node_id].append(unit.node["data"]["target"])

        budget = [self.max_nodes]

        def closure(roots: list[str]) -> list[str]:
            seen, order, stack = set(), [], [r for r in reversed(roots) if r is not None]
            while stack:
                node_id = stack.pop()
                if node_id in seen:
                    continue
                seen.add(node_id)
                order.append(node_id)
                stack.extend(reversed(successors[node_id]))
            budget[0] -= len(order) + 1  # and the flow's start node
            if budget[0] < 0:
                raise ImportRefused(
                    {
                        "non_field_errors": [
                            f"One import creates at most {self.max_nodes} nodes; this bot needs more (a Typebot "
                            "link copies the groups it calls into a flow of its own)."
                        ]
                    }
                )
            return order

        def group_of(node_id: str) -> int:
            return nodes[node_id].group

        reached = closure([start] if start else [])
        linked: dict[str, list[str]] = {}
        queue = [nodes[n].node["data"]["flow"] for n in reached if nodes[n].node["type"] == "flow_link"]
        targets = {key: target for target, key in self.links.items()}

        def follow_links(keys: list[str]) -> None:
            while keys:
                key = keys.pop(0)
                if key in linked:
                    continue
                linked[key] = closure([targets[key]])
                keys.extend(nodes[n].node["data"]["flow"] for n in linked[key] if nodes[n].node["type"] == "flow_link")

        follow_links(queue)
        # Groups only links lead to live in their flows; every other group is in the main flow.
        linked_groups = {group_of(n) for members in linked.values() for n in members}
        main_groups = {group_of(n) for n in reached} | (set(range(len(self.groups))) - linked_groups)
        budget[0] += len(reached) + 1  # the main flow's closure below counts them again
        roots = [start] + [
            unit.node["id"] for gi in sorted(main_groups) for unit in self.units[gi] if unit.node is not None
        ]
        main = closure(roots)
        follow_links([nodes[n].node["data"]["flow"] for n in main if nodes[n].node["type"] == "flow_link"])

        flows = [PlannedFlow(key="main", name="Main flow", is_main=True, graph=self._graph(main, start, nodes, edges))]
        for key, members in linked.items():
            title = _text(self.groups[group_of(targets[key])].get("title")).strip() or "a group"
            flows.append(
                PlannedFlow(
                    key=key,
                    name=f"Linked: {title}"[:200],
                    description="The groups a Typebot link calls; the chat comes back when they end.",
                    graph=self._graph(members, targets[key], nodes, edges),
                )
            )
        return flows

    def _graph(
        self, members: list[str], start: str | None, nodes: Mapping[str, _Unit], edges: list[tuple[str, str, str]]
    ) -> GraphDraft:
        member_set = set(members)
        groups = [nodes[n].group for n in members]  # the start node sits left of the first group
        origin = _mapping(self.groups[min(groups)].get("graphCoordinates")) if groups else {}
        graph_nodes = [
            {
                "id": "start",
                "type": "start",
                "position": {
                    "x": _clamp((_number(origin.get("x")) or 0) - 300, -MAX_COORDINATE, MAX_COORDINATE),
                    "y": _clamp(_number(origin.get("y")) or 0, -MAX_COORDINATE, MAX_COORDINATE),
                },
                "data": {},
            }
        ]
        graph_edges = []
        if start is not None:
            graph_edges.append({"id": "e-start", "source": "start", "source_handle": "next", "target": start})
        labelled: set[int] = set()
        for node_id in sorted(member_set, key=lambda n: (nodes[n].group, nodes[n].index)):
            unit = nodes[node_id]
            node = dict(unit.node)
            if unit.group not in labelled:
                labelled.add(unit.group)
                title = _text(self.groups[unit.group].get("title")).strip()[:MAX_LABEL]
                if title:
                    node["label"] = title
            graph_nodes.append(node)
        for index, (source, handle, target) in enumerate(edges):
            if source in member_set and target in member_set:
                graph_edges.append({"id": f"e{index + 1}", "source": source, "source_handle": handle, "target": target})
        return GraphDraft(nodes=graph_nodes, edges=graph_edges, variables=[])

    # --- Blocks ------------------------------------------------------------------------------

    def _unit(self, block: Mapping, gi: int, bi: int) -> _Unit:
        self._block = block
        unit = _Unit(block=block, group=gi, index=bi, skip=self._own(block))
        block_type = block["type"]
        known = _BY_TYPE.get(block_type)
        if known is None or known.support == NONE:
            if known is None:
                reason = "a plugin block" if block_type in FORGED_BLOCK_TYPES else "a block type we do not know"
            else:
                reason = known.notes or "no counterpart here"
            self._skip(block, f"Typebot's {block_type!r} block cannot run here ({reason})")
            return unit
        result = getattr(self, f"_{known.ours}")(block, unit)
        if result is None:
            return unit
        node_type, data, exits = result
        grouping = _mapping(self.groups[gi].get("graphCoordinates"))
        unit.node = {
            "id": self.node_ids[gi, bi],
            "type": node_type,
            "position": {
                "x": _clamp(_number(grouping.get("x")) or 0, -MAX_COORDINATE, MAX_COORDINATE),
                "y": _clamp((_number(grouping.get("y")) or 0) + ROW_HEIGHT * bi, -MAX_COORDINATE, MAX_COORDINATE),
            },
            "data": data,
        }
        unit.exits = exits
        return unit

    def _own(self, block: Mapping) -> tuple:
        edge_id = block.get("outgoingEdgeId")
        return ("edge", edge_id) if isinstance(edge_id, str) and edge_id else _NEXT

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

    def _message(self, block: Mapping, unit: _Unit):
        content = _mapping(block.get("content"))
        if isinstance(content.get("richText"), list):
            text = flatten_rich_text(content["richText"])
        elif isinstance(content.get("plainText"), str):
            text = content["plainText"]
        else:
            text = html_to_text(_text(content.get("html")))
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
        number = _number(value)
        if number is None:
            if value not in (None, ""):
                self.warn(f"The height {value!r} is not a number; {default} pixels are used.")
            return default
        return int(_clamp(number, 50, 2000))

    def _image(self, block: Mapping, unit: _Unit):
        content = _mapping(block.get("content"))
        link = _mapping(content.get("clickLink"))
        data = {
            "url": self._url(content.get("url"), what="image URL"),
            "link": self._url(link.get("url"), what="image link"),
            "alt": self.rewrite(link.get("alt"), limit=500, what="image description"),
        }
        return "image", data, [("next", self._own(block))]

    def _video(self, block: Mapping, unit: _Unit):
        content = _mapping(block.get("content"))
        url = _text(content.get("url"))
        if not url and _text(content.get("id")) and content.get("type") in _VIDEO_URLS:
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

    def _audio(self, block: Mapping, unit: _Unit):
        content = _mapping(block.get("content"))
        data = {
            "url": self._url(content.get("url"), what="audio URL"),
            "autoplay": content.get("isAutoplayEnabled") is not False,
        }
        return "audio", data, [("next", self._own(block))]

    def _embed(self, block: Mapping, unit: _Unit):
        content = _mapping(block.get("content"))
        if _mapping(content.get("waitForEvent")).get("isEnabled"):
            self.warn("The embed waited for an event from the page; here the chat goes on at once.")
        data = {"url": self._url(content.get("url"), what="embed URL"), "height": self._height(content.get("height"))}
        return "embed", data, [("next", self._own(block))]

    # Inputs

    def _input(self, block: Mapping, *, handle: str = "next", **data) -> tuple[dict, list]:
        options = _mapping(block.get("options"))
        labels = _mapping(options.get("labels"))
        base = {"variable": self.variable(options.get("variableId"))}
        placeholder = self.rewrite(labels.get("placeholder"), limit=MAX_LABEL, what="placeholder")
        if placeholder:
            base["placeholder"] = placeholder
        retry = self.rewrite(options.get("retryMessageContent"), what="retry message").strip()
        if retry:
            base["retry_message"] = retry
        return {**base, **data}, [(handle, self._own(block))]

    def _text_input(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        if block["type"] == "time input":
            self.warn("There is no time input here: the time is asked as free text (HH:mm), unchecked.")
            data, exits = self._input(block, max_length=100)
            data.setdefault("placeholder", "HH:mm")
            return "text_input", data, exits
        lost = [name for name in ("audioClip", "attachments") if _mapping(options.get(name)).get("isEnabled")]
        if lost:
            self.warn(f"The text input's {' and '.join(lost)} cannot be kept here: only text is answered.")
        data, exits = self._input(block, multiline=bool(options.get("isLong")))
        return "text_input", data, exits

    def _number_input(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        bounds: dict[str, Any] = {}
        for name in ("min", "max", "step"):
            raw = options.get(name)
            number = _number(raw)
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

    def _email_input(self, block: Mapping, unit: _Unit):
        data, exits = self._input(block)
        return "email_input", data, exits

    def _url_input(self, block: Mapping, unit: _Unit):
        data, exits = self._input(block)
        return "url_input", data, exits

    def _phone_input(self, block: Mapping, unit: _Unit):
        country = _text(_mapping(block.get("options")).get("defaultCountryCode")).upper()
        data, exits = self._input(block, default_country=country if re.fullmatch(r"[A-Z]{2}", country) else "")
        return "phone_input", data, exits

    def _date_bound(self, value: Any, name: str) -> str:
        text = _text(value).strip()
        if not text:
            return ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?", text):
            return text[:10]
        self.warn(f"The date input's {name} ({text[:60]!r}) is not a date (YYYY-MM-DD) here; it was dropped.")
        return ""

    def _date_input(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        with_time = bool(options.get("hasTime"))
        pattern = _text(options.get("format")) or (_DEFAULT_DATE_TIME_FORMAT if with_time else _DEFAULT_DATE_FORMAT)
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

    def _rating(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        length = _number(options.get("length"))
        length = int(length) if length is not None else 10
        if options.get("buttonType", "Numbers") == "Icons":
            low, high = 1, length
        else:
            starts = _number(options.get("startsAt"))
            if starts is None and options.get("startsAt") not in (None, ""):
                self.warn(f"The rating starts at {options['startsAt']!r}, not a number here; it starts at 0.")
            low, high = int(starts or 0), length
        low, high = int(_clamp(low, 0, 99)), int(_clamp(high, 1, 100))
        if high <= low:
            self.warn(f"The rating scale {low}..{high} is empty; it runs {low}..{low + 1}.")
            high = low + 1
        labels = _mapping(options.get("labels"))
        if labels.get("left") or labels.get("right"):
            self.warn("The rating's side labels cannot be shown here.")
        data, exits = self._input(block, min=low, max=high)
        return "rating", data, exits

    def _file_upload(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        if options.get("isMultipleAllowed"):
            self.warn("The file input took several files; here it takes one.")
        allowed: list[str] = []
        accepted = _mapping(options.get("allowedFileTypes"))
        if accepted.get("isEnabled"):
            for kind in _list(accepted.get("types"))[:50]:
                kind = _text(kind).strip().lower()
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

    def _choice(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        pictures = block["type"] == "picture choice input"
        multiple = bool(options.get("isMultipleChoice"))
        choices, exits, taken = [], [], set()
        conditional = False
        for number, item in enumerate(_list(block.get("items"))[:100], start=1):
            if not isinstance(item, Mapping):
                continue
            conditional |= bool(_mapping(item.get("displayCondition")).get("isEnabled"))
            if pictures:
                label = self.rewrite(item.get("title"), limit=10 * MAX_LABEL, what="picture title").strip()
                if _text(item.get("description")).strip():
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
        if len(_list(block.get("items"))) > 100:
            self.warn("Only the first 100 buttons were kept.")
        if conditional:
            self.warn("Buttons shown only under a condition are always shown here.")
        data = {"options": choices, "multiple": multiple}
        if pictures:
            dynamic = _mapping(options.get("dynamicItems"))
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

    def _set_variable(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
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
        code = _text(options.get("expressionToEvaluate"))
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

    def _condition(self, block: Mapping, unit: _Unit):
        branches, exits, taken = [], [], set()
        for number, item in enumerate(_list(block.get("items"))[:50], start=1):
            if not isinstance(item, Mapping):
                continue
            content = _mapping(item.get("content"))
            match = "any" if content.get("logicalOperator") == "OR" else "all"
            rules, dropped = [], 0
            for comparison in _list(content.get("comparisons"))[:50]:
                comparison = _mapping(comparison)
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
                if _list(content.get("comparisons")):
                    self.warn(f"Condition {number} has nothing left to compare; dropped.")
                continue
            branch_id = self._handle(item.get("id"), taken, "else")
            branches.append({"id": branch_id, "match": match, "rules": rules})
            exits.append((branch_id, self._item_edge(item) or _NEXT))
        exits.append(("else", self._own(block)))
        return "condition", {"branches": branches}, exits

    def _redirect(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        url = self._url(options.get("url"), what="redirect URL")
        if not url:
            self._skip(block, "The redirect has no URL")
            return None
        return "redirect", {"url": url, "new_tab": bool(options.get("isNewTab"))}, [("next", self._own(block))]

    def _wait(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        raw = options.get("secondsToWaitFor")
        seconds = _number(raw)
        if seconds is None:
            self.warn(f"The wait of {raw!r} seconds is not a number here; it waits 1 second.")
            seconds = 1
        if seconds > 60 or seconds < 0:
            self.warn(
                f"A wait of {seconds} seconds is over the 60 s allowed here; it waits {_clamp(seconds, 0, 60):g}."
            )
        if options.get("shouldPause"):
            self.warn("The wait paused the flow until the visitor came back; here it only waits.")
        return "wait", {"seconds": _clamp(seconds, 0, 60)}, [("next", self._own(block))]

    def _ab_test(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        percent = _number(options.get("aPercent"))
        items = [item for item in _list(block.get("items")) if isinstance(item, Mapping)]
        paths = {item.get("path"): item for item in items}
        exits = []
        for index, path in enumerate(("a", "b")):
            item = paths.get(path) or (items[index] if index < len(items) else {})
            exits.append((path, self._item_edge(item) or _NEXT))
        return "ab_test", {"percent_a": _clamp(50 if percent is None else percent, 0, 100)}, exits

    def _jump(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        group_id = options.get("groupId")
        if not isinstance(group_id, str) or not group_id or "{{" in group_id:
            self._skip(block, "The jump has no group to go to" if not group_id else "A jump to a {{variable}} group")
            unit.skip = _END
            return None
        unit.pending, unit.target = "jump", (group_id, options.get("blockId"))
        return "jump", {"target": ""}, []

    def _flow_link(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
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
        for pair in _list(pairs):
            key = _text(_mapping(pair).get("key")).strip()
            if key and len(found) < 50:
                found[key[:200]] = self.rewrite(_mapping(pair).get("value"), limit=4096, what=what)
        return found

    def _http_request(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        request = _mapping(options.get("webhook"))
        method = _text(request.get("method")).upper() or "POST"
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
        timeout = _number(options.get("timeout")) or 10
        if timeout > 30:
            self.warn(f"The timeout of {timeout} s is over the 30 s allowed here; it is 30 s.")
        mapping = []
        for item in _list(options.get("responseVariableMapping"))[:50]:
            item = _mapping(item)
            variable = self.names.by_id(item.get("variableId"))
            path = self._response_path(_text(item.get("bodyPath")).strip())
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
            "timeout": _clamp(timeout, 1, 30),
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

    def _send_email(self, block: Mapping, unit: _Unit):
        options = _mapping(block.get("options"))
        recipients = [self.rewrite(r, limit=254, what="recipient").strip() for r in _list(options.get("recipients"))]
        to = ", ".join(r for r in recipients if r)[:1000]
        if not to:
            self._skip(block, "The email has no recipient")
            return None
        lost = [name for name in ("cc", "bcc") if _list(options.get(name))]
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


# --- The file's shape and settings ------------------------------------------------------------


def _check_document(document: Any) -> None:
    errors: dict[str, list[str]] = {}

    def fail(where: str, message: str) -> None:
        errors.setdefault(where, []).append(message)

    version = document.get("version")
    if version not in VERSIONS:
        raise ImportRefused(
            {
                "version": [
                    f"Typebot export version {version!r} is not supported: only {', '.join(VERSIONS)}. "
                    "Open the bot in an up-to-date Typebot and export it again."
                ]
            }
        )
    groups = document.get("groups")
    if not isinstance(groups, list):
        raise ImportRefused({"groups": ["Must be a list of groups."]})
    if len(groups) > MAX_GROUPS:
        raise ImportRefused({"groups": [f"At most {MAX_GROUPS} groups; the file has {len(groups)}."]})
    blocks = 0
    group_ids: set[str] = set()
    block_ids: set[str] = set()
    for gi, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("id"), str) or not group["id"]:
            fail(f"groups[{gi}]", "Must be an object with a text `id`.")
            continue
        if group["id"] in group_ids:
            fail(f"groups[{gi}].id", f"Group id {group['id']!r} is used twice.")
        group_ids.add(group["id"])
        if not isinstance(group.get("blocks"), list):
            fail(f"groups[{gi}].blocks", "Must be a list of blocks.")
            continue
        blocks += len(group["blocks"])
        if blocks > MAX_BLOCKS:
            raise ImportRefused({"groups": [f"At most {MAX_BLOCKS} blocks in all."]})
        for bi, block in enumerate(group["blocks"]):
            where = f"groups[{gi}].blocks[{bi}]"
            if not isinstance(block, dict) or not isinstance(block.get("id"), str) or not block["id"]:
                fail(where, "Must be an object with a text `id`.")
            elif not isinstance(block.get("type"), str):
                fail(f"{where}.type", "Must be text.")
            elif block["id"] in block_ids:
                fail(f"{where}.id", f"Block id {block['id']!r} is used twice.")
            else:
                block_ids.add(block["id"])
                if len(_list(block.get("items"))) > MAX_ITEMS:
                    fail(f"{where}.items", f"At most {MAX_ITEMS} items.")
                for name in ("options", "content"):
                    if block.get(name) is not None and not isinstance(block[name], dict):
                        fail(f"{where}.{name}", "Must be an object.")
    edges = document.get("edges", [])
    if not isinstance(edges, list):
        fail("edges", "Must be a list of edges.")
    elif len(edges) > MAX_EDGES:
        fail("edges", f"At most {MAX_EDGES} edges.")
    else:
        for ei, edge in enumerate(edges):
            if not isinstance(edge, dict) or not isinstance(edge.get("id"), str):
                fail(f"edges[{ei}]", "Must be an object with a text `id`.")
            elif not isinstance(edge.get("to"), dict) or not isinstance(edge["to"].get("groupId"), str):
                fail(f"edges[{ei}].to", "Must be an object with a text `groupId`.")
    variables = document.get("variables", [])
    if not isinstance(variables, list):
        fail("variables", "Must be a list of variables.")
    elif len(variables) > MAX_VARIABLES:
        fail("variables", f"At most {MAX_VARIABLES} variables.")
    else:
        for vi, variable in enumerate(variables):
            if not isinstance(variable, dict) or not isinstance(variable.get("id"), str):
                fail(f"variables[{vi}]", "Must be an object with a text `id`.")
            elif not isinstance(variable.get("name"), str):
                fail(f"variables[{vi}].name", "Must be text.")
    if not isinstance(document.get("events", []), list):
        fail("events", "Must be a list.")
    if errors:
        raise ImportRefused(errors)


def _try_option(kind: str, key: str, value: Any, target: dict) -> None:
    try:
        options_clean(kind, {key: value})
    except ValidationError:
        return
    target[key] = value


def _appearance(document: Mapping) -> dict:
    theme = _mapping(document.get("theme"))
    general, chat = _mapping(theme.get("general")), _mapping(theme.get("chat"))
    host, guest, buttons = (_mapping(chat.get(key)) for key in ("hostBubbles", "guestBubbles", "buttons"))
    font = general.get("font")
    background = _mapping(general.get("background"))
    avatar = _mapping(chat.get("hostAvatar"))
    candidates = {
        "title": _text(_mapping(_mapping(document.get("settings")).get("metadata")).get("title"))[:100],
        "font_family": _text(font) or _text(_mapping(font).get("family")),
        "background_color": background.get("content") if background.get("type") in ("Color", None) else None,
        "bot_bubble_color": host.get("backgroundColor"),
        "text_color": host.get("color"),
        "user_bubble_color": guest.get("backgroundColor"),
        "primary_color": buttons.get("backgroundColor"),
        "avatar_url": avatar.get("url") if avatar.get("isEnabled") is not False else None,
    }
    appearance: dict = {}
    for key, value in candidates.items():
        if value:
            _try_option("appearance", key, value, appearance)
    return appearance


def _behavior(document: Mapping) -> dict:
    typing = _mapping(_mapping(document.get("settings")).get("typingEmulation"))
    behavior: dict = {}
    if typing.get("enabled") is False:
        behavior["typing_delay_ms"] = 0
    return behavior
