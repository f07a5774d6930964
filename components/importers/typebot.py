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

The mapping table and the converter of each block type are in `typebot_blocks`.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from chatbots.options import options_clean
from components.exceptions import ImportRefused
from components.graph import GraphDraft
from components.importers.plan import ImportPlan, ImportReport, PlannedFlow
from components.importers.typebot_blocks import (
    BY_TYPE,
    END,
    FORGED_BLOCK_TYPES,
    MAX_COORDINATE,
    MAX_LABEL,
    MAX_TEXT,
    NONE,
    ROW_HEIGHT,
    BlockConverters,
    Unit,
    as_list,
    as_mapping,
    as_number,
    as_text,
    clamp,
)
from components.importers.typebot_text import VariableNames

VERSIONS = ("6", "6.1")
MAX_GROUPS = 2_000
MAX_BLOCKS = 10_000
MAX_ITEMS = 200
MAX_EDGES = 20_000
MAX_VARIABLES = 500
MAX_LINKED_FLOWS = 50


class TypebotImporter(BlockConverters):
    """Turns a Typebot export into an ImportPlan. Raises ImportRefused when the file is not a
    Typebot 6 export or is too large; tolerates inconsistencies real files have (dangling
    edges, unknown variable ids, `{{names}}` of no variable), each with a warning."""

    def __init__(self, document: Mapping, *, max_nodes: int) -> None:
        self.document = document
        self.max_nodes = max_nodes
        _check_document(document)
        self.report = ImportReport(source="typebot", source_version=document["version"])
        self.names = VariableNames(
            as_list(document.get("variables")), warn=self.report.warn, max_variables=MAX_VARIABLES
        )
        self.groups: list[Mapping] = list(document["groups"])
        self.group_index = {g["id"]: i for i, g in enumerate(self.groups)}
        self.block_index = {
            (gi, block["id"]): bi for gi, group in enumerate(self.groups) for bi, block in enumerate(group["blocks"])
        }
        self.edges = {e["id"]: e for e in as_list(document.get("edges")) if isinstance(e, Mapping)}
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
            as_text(text),
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
            name=(as_text(self.document.get("name")).strip() or "Imported Typebot")[:200],
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
        referenced = {e.get("outgoingEdgeId") for e in as_list(self.document.get("events")) if isinstance(e, Mapping)}
        for group in self.groups:
            for block in group["blocks"]:
                referenced.add(block.get("outgoingEdgeId"))
                referenced |= {
                    item.get("outgoingEdgeId") for item in as_list(block.get("items")) if isinstance(item, Mapping)
                }
        return {edge_id for edge_id in referenced if isinstance(edge_id, str)}

    def _start_entry(self) -> str | None:
        events = [e for e in as_list(self.document.get("events")) if isinstance(e, Mapping)]
        start = next((e for e in events if e.get("type") == "start"), events[0] if events else None)
        edge_id = as_mapping(start).get("outgoingEdgeId")
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

    def _position(self, unit: Unit | None, continuation: tuple) -> tuple[int, int] | None:
        """Where a continuation lands: (group, block index), or None when the chat ends there."""
        kind = continuation[0]
        if kind == "next" and unit is not None:
            return unit.group, unit.index + 1
        if kind == "edge":
            edge = self.edges.get(continuation[1])
            if edge is None:
                self._warn_once(f"Edge {continuation[1]!r} is named but not in the file; the chat ends there.")
                return None
            to = as_mapping(edge.get("to"))
            return self._locate(to.get("groupId"), to.get("blockId"), what=f"Edge {edge['id']!r}")
        return None

    def _follow(self, unit: Unit | None, continuation: tuple) -> str | None:
        return self._entry(self._position(unit, continuation))

    def _settle(self, unit: Unit) -> None:
        """Resolve a Jump or Typebot link: a jump to nothing and a link to a group that does
        nothing are left out (the chat goes where the block would have gone)."""
        if not unit.pending or unit.settling:
            return
        unit.settling = True
        kind, unit.pending = unit.pending, ""
        if kind == "jump":
            target = self._entry(self._locate(*unit.target, what="The jump"))
            if target is None:
                unit.node, unit.skip = None, END
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
            title = as_text(self.groups[group_of(targets[key])].get("title")).strip() or "a group"
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
        self, members: list[str], start: str | None, nodes: Mapping[str, Unit], edges: list[tuple[str, str, str]]
    ) -> GraphDraft:
        member_set = set(members)
        groups = [nodes[n].group for n in members]  # the start node sits left of the first group
        origin = as_mapping(self.groups[min(groups)].get("graphCoordinates")) if groups else {}
        graph_nodes = [
            {
                "id": "start",
                "type": "start",
                "position": {
                    "x": clamp((as_number(origin.get("x")) or 0) - 300, -MAX_COORDINATE, MAX_COORDINATE),
                    "y": clamp(as_number(origin.get("y")) or 0, -MAX_COORDINATE, MAX_COORDINATE),
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
                title = as_text(self.groups[unit.group].get("title")).strip()[:MAX_LABEL]
                if title:
                    node["label"] = title
            graph_nodes.append(node)
        for index, (source, handle, target) in enumerate(edges):
            if source in member_set and target in member_set:
                graph_edges.append({"id": f"e{index + 1}", "source": source, "source_handle": handle, "target": target})
        return GraphDraft(nodes=graph_nodes, edges=graph_edges, variables=[])

    # --- Blocks ------------------------------------------------------------------------------

    def _unit(self, block: Mapping, gi: int, bi: int) -> Unit:
        self._block = block
        unit = Unit(block=block, group=gi, index=bi, skip=self._own(block))
        block_type = block["type"]
        known = BY_TYPE.get(block_type)
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
        grouping = as_mapping(self.groups[gi].get("graphCoordinates"))
        unit.node = {
            "id": self.node_ids[gi, bi],
            "type": node_type,
            "position": {
                "x": clamp(as_number(grouping.get("x")) or 0, -MAX_COORDINATE, MAX_COORDINATE),
                "y": clamp((as_number(grouping.get("y")) or 0) + ROW_HEIGHT * bi, -MAX_COORDINATE, MAX_COORDINATE),
            },
            "data": data,
        }
        unit.exits = exits
        return unit


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
                if len(as_list(block.get("items"))) > MAX_ITEMS:
                    fail(f"{where}.items", f"At most {MAX_ITEMS} items.")
                for name in ("options", "content"):
                    if block.get(name) is not None and not isinstance(block[name], dict):
                        fail(f"{where}.{name}", "Must be an object.")
    _check_records(
        document.get("edges", []),
        "edges",
        MAX_EDGES,
        fail,
        lambda edge: (
            None
            if isinstance(edge.get("to"), dict) and isinstance(edge["to"].get("groupId"), str)
            else ("to", "Must be an object with a text `groupId`.")
        ),
    )
    _check_records(
        document.get("variables", []),
        "variables",
        MAX_VARIABLES,
        fail,
        lambda variable: None if isinstance(variable.get("name"), str) else ("name", "Must be text."),
    )
    if not isinstance(document.get("events", []), list):
        fail("events", "Must be a list.")
    if errors:
        raise ImportRefused(errors)


def _check_records(
    records: Any,
    where: str,
    limit: int,
    fail: Callable[[str, str], None],
    problem: Callable[[dict], tuple[str, str] | None],
) -> None:
    """A list of at most `limit` objects with a text `id`, each passing `problem` (which names
    a field and what is wrong with it, or None)."""
    if not isinstance(records, list):
        fail(where, f"Must be a list of {where}.")
    elif len(records) > limit:
        fail(where, f"At most {limit} {where}.")
    else:
        for index, record in enumerate(records):
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                fail(f"{where}[{index}]", "Must be an object with a text `id`.")
            elif found := problem(record):
                fail(f"{where}[{index}].{found[0]}", found[1])


def _try_option(kind: str, key: str, value: Any, target: dict) -> None:
    try:
        options_clean(kind, {key: value})
    except ValidationError:
        return
    target[key] = value


def _appearance(document: Mapping) -> dict:
    theme = as_mapping(document.get("theme"))
    general, chat = as_mapping(theme.get("general")), as_mapping(theme.get("chat"))
    host, guest, buttons = (as_mapping(chat.get(key)) for key in ("hostBubbles", "guestBubbles", "buttons"))
    font = general.get("font")
    background = as_mapping(general.get("background"))
    avatar = as_mapping(chat.get("hostAvatar"))
    candidates = {
        "title": as_text(as_mapping(as_mapping(document.get("settings")).get("metadata")).get("title"))[:100],
        "font_family": as_text(font) or as_text(as_mapping(font).get("family")),
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
    typing = as_mapping(as_mapping(document.get("settings")).get("typingEmulation"))
    behavior: dict = {}
    if typing.get("enabled") is False:
        behavior["typing_delay_ms"] = 0
    return behavior
