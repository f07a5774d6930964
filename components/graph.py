"""The draft graph of a flow: checking a whole graph, saving it in a constant number of
queries, and reading it back in the shape of docs/graph.md.

Every write path (the graph PUT, single node/edge/variable endpoints, bulk node operations,
templates, cloning) goes through `graph_save`, so the same invariants hold whichever way the
builder edits: node and edge ids unique, known types, configs valid against the catalog's
schema, edges between existing nodes on handles their source has, one edge per handle,
variables declared once, and the variable usage index up to date.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from jsonschema import Draft202012Validator

from components.catalog import COMPONENT_TYPES, output_handles, semantic_errors, variables_read, variables_written
from components.exceptions import GraphValidationError
from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from components.templating import VARIABLE_NAME_RE
from config.jsonschema_errors import schema_errors
from flows.models import Flow

ID_RE_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"
MAX_NODES = getattr(settings, "GRAPH_MAX_NODES", 10_000)
MAX_EDGES = 2 * MAX_NODES
MAX_VARIABLES = 500


@cache
def _validator(type_name: str) -> Draft202012Validator:
    return Draft202012Validator(COMPONENT_TYPES[type_name].config_schema)


def config_errors(type_name: str, data: Any) -> dict[str, list[str]]:
    """Schema and semantic errors of one node's config, keyed by `data.<field path>`."""
    if not isinstance(data, dict):
        return {"data": ["Must be a JSON object."]}
    merged = {**COMPONENT_TYPES[type_name].defaults(), **data}
    errors = schema_errors(_validator(type_name), merged, prefix="data")
    if not errors:
        for field_name, message in semantic_errors(type_name, merged):
            errors.setdefault(f"data.{field_name}", []).append(message)
    return errors


def config_with_defaults(type_name: str, data: dict) -> dict:
    return {**COMPONENT_TYPES[type_name].defaults(), **data}


@dataclass
class GraphDraft:
    """A whole flow graph in memory, as plain dicts (docs/graph.md)."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    variables: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"nodes": self.nodes, "edges": self.edges, "variables": self.variables}


def graph_json_bytes(graph: dict) -> int:
    """A graph's size: its {nodes, edges, variables} dict as compact JSON, in bytes (UTF-8)."""
    return len(json.dumps(graph, separators=(",", ":"), ensure_ascii=False, default=str).encode())


def _check_chatbot_size(flow: Flow, size: int) -> None:
    """Refuse a write that would make the chatbot's flows hold more than CHATBOT_MAX_GRAPH_MB.

    Concurrent writes to two flows of one bot could each pass and overshoot by one flow's
    size; the chatbot row is not locked for this (its lock is taken before flow locks elsewhere)."""
    limit = settings.CHATBOT_MAX_GRAPH_MB * 1024 * 1024
    others = Flow.objects.filter(chatbot_id=flow.chatbot_id).exclude(pk=flow.pk).aggregate(total=Sum("graph_bytes"))
    total = (others["total"] or 0) + size
    if total > limit:
        raise GraphValidationError(
            {
                "graph": [
                    f"This chatbot's flows would hold {total / 1048576:.1f} MB of graph data "
                    f"(this flow {size / 1048576:.1f} MB); at most {settings.CHATBOT_MAX_GRAPH_MB} MB in all."
                ]
            }
        )


def _add(errors: dict, section: str, item_id: str, field_name: str, message: str) -> None:
    errors.setdefault(section, {}).setdefault(str(item_id), {}).setdefault(field_name, []).append(message)


def graph_check(draft: GraphDraft) -> GraphDraft:
    """Check a whole graph and return it normalised (configs with defaults filled in).

    Raises GraphValidationError shaped `{"nodes": {node_id: {field: [msg]}}, "edges": {…}, "variables": {…}}`.
    """
    errors: dict = {}
    if len(draft.nodes) > MAX_NODES:
        raise GraphValidationError({"nodes": [f"A flow holds at most {MAX_NODES} nodes."]})
    if len(draft.edges) > MAX_EDGES:
        raise GraphValidationError({"edges": [f"A flow holds at most {MAX_EDGES} edges."]})
    if len(draft.variables) > MAX_VARIABLES:
        raise GraphValidationError({"variables": [f"A flow declares at most {MAX_VARIABLES} variables."]})

    nodes: list[dict] = []
    handles_by_node: dict[str, list[str]] = {}
    types_by_node: dict[str, str] = {}
    for node in draft.nodes:
        node_id = node["id"]
        if node_id in types_by_node:
            _add(errors, "nodes", node_id, "id", "Node id is used twice in this flow.")
            continue
        type_name = node["type"]
        types_by_node[node_id] = type_name
        if type_name not in COMPONENT_TYPES:
            _add(errors, "nodes", node_id, "type", f"Unknown component type {type_name!r}.")
            continue
        data = node.get("data") or {}
        problems = config_errors(type_name, data)
        for field_name, messages in problems.items():
            for message in messages:
                _add(errors, "nodes", node_id, field_name, message)
        if problems:
            continue
        data = config_with_defaults(type_name, data)
        handles_by_node[node_id] = output_handles(type_name, data)
        nodes.append({**node, "data": data})

    seen_edges: set[str] = set()
    used_handles: dict[tuple[str, str], str] = {}
    for edge in draft.edges:
        edge_id = edge["id"]
        if edge_id in seen_edges:
            _add(errors, "edges", edge_id, "id", "Edge id is used twice in this flow.")
            continue
        seen_edges.add(edge_id)
        source, target, handle = edge["source"], edge["target"], edge.get("source_handle") or "next"
        if source not in types_by_node:
            _add(errors, "edges", edge_id, "source", f"Node {source!r} does not exist in this flow.")
        elif source in handles_by_node and handle not in handles_by_node[source]:
            available = ", ".join(handles_by_node[source]) or "none"
            _add(
                errors,
                "edges",
                edge_id,
                "source_handle",
                f"A {types_by_node[source]} node has no handle {handle!r} (it has: {available}).",
            )
        elif (source, handle) in used_handles:
            _add(
                errors,
                "edges",
                edge_id,
                "source_handle",
                f"Handle {handle!r} of node {source!r} is already connected by edge {used_handles[source, handle]!r}.",
            )
        else:
            used_handles[source, handle] = edge_id
        if target not in types_by_node:
            _add(errors, "edges", edge_id, "target", f"Node {target!r} does not exist in this flow.")
        elif types_by_node[target] == "start":
            _add(errors, "edges", edge_id, "target", "The start node cannot have incoming edges.")
        edge["source_handle"] = handle

    names: set[str] = set()
    for variable in draft.variables:
        name = variable["name"]
        if not VARIABLE_NAME_RE.match(name):
            _add(errors, "variables", name, "name", "Use letters, digits and _ (not first), at most 64.")
        elif name in names:
            _add(errors, "variables", name, "name", "Variable is declared twice.")
        names.add(name)

    if errors:
        raise GraphValidationError(errors)
    return GraphDraft(nodes=nodes, edges=list(draft.edges), variables=list(draft.variables))


def _usage_rows(flow: Flow, draft: GraphDraft) -> list[ComponentVariable]:
    read: dict[str, list[str]] = {}
    written: dict[str, list[str]] = {}
    for node in draft.nodes:
        try:
            reads = variables_read(node["type"], node["data"])
        except SyntaxError:
            reads = set()
        for name in sorted(reads):
            read.setdefault(name, []).append(node["id"])
        for name in sorted(variables_written(node["type"], node["data"])):
            written.setdefault(name, []).append(node["id"])
    declared = {v["name"]: v.get("default") for v in draft.variables}
    names = list(declared) + sorted((set(read) | set(written)) - set(declared))
    return [
        ComponentVariable(
            flow=flow,
            name=name,
            default=declared.get(name),
            declared=name in declared,
            read_by=read.get(name, []),
            written_by=written.get(name, []),
        )
        for name in names
    ]


@transaction.atomic
def graph_save(flow: Flow, draft: GraphDraft) -> GraphDraft:
    """Check `draft` and make it the flow's graph, in one transaction.

    The flow row is locked first, so concurrent writers of one flow take turns. Queries do
    not grow with the graph's size: a fixed handful of selects, deletes, bulk updates and
    bulk inserts. Every node, edge and variable row that stays keeps its primary key (a node
    by its node id, an edge by its edge id even when re-pointed, a variable by its name), so a
    builder holding those ids can go on using them after any write. Raises
    GraphValidationError (and changes nothing) when the graph is invalid.
    """
    draft = graph_check(draft)
    size = graph_json_bytes(draft.as_dict())
    Flow.objects.select_for_update().filter(pk=flow.pk).values_list("pk").first()
    _check_chatbot_size(flow, size)
    _nodes_save(flow, draft)
    _variables_save(flow, draft)
    flow.variables = [{"name": v["name"], "default": v.get("default")} for v in draft.variables]
    flow.graph_bytes = size
    flow.save(update_fields=["variables", "graph_bytes", "updated_at"])
    return draft


NODE_FIELDS = ["type", "label", "position_x", "position_y", "config"]


def _nodes_save(flow: Flow, draft: GraphDraft) -> None:
    """Nodes and edges. The order avoids every transient conflict: stale edges go first; nodes
    are added and changed; re-pointed edges move (their old ends still exist, so no cascade
    takes them); then stale nodes go, and new edges come last, onto handles now free."""
    existing_nodes = {n.node_id: n for n in ComponentInstance.objects.filter(flow=flow)}
    existing_edges = {
        edge_id: (pk, source, handle, target)
        for pk, edge_id, source, handle, target in ComponentConnection.objects.filter(flow=flow).values_list(
            "pk", "edge_id", "source__node_id", "source_handle", "target__node_id"
        )
    }
    desired_edges = {e["id"]: (e["source"], e["source_handle"], e["target"]) for e in draft.edges}
    stale_edges = [pk for key, (pk, *_) in existing_edges.items() if key not in desired_edges]
    if stale_edges:
        ComponentConnection.objects.filter(pk__in=stale_edges).delete()

    changed, new, node_pks, now = [], [], {}, timezone.now()
    for node in draft.nodes:
        position = node.get("position") or {}
        obj = ComponentInstance(
            flow=flow,
            node_id=node["id"],
            type=node["type"],
            label=node.get("label") or "",
            position_x=float(position.get("x", 0)),
            position_y=float(position.get("y", 0)),
            config=node["data"],
        )
        current = existing_nodes.get(node["id"])
        if current is None:
            new.append(obj)
            continue
        obj.pk = node_pks[node["id"]] = current.pk
        if any(getattr(current, f) != getattr(obj, f) for f in NODE_FIELDS):
            obj.updated_at = now
            changed.append(obj)
    if changed:
        ComponentInstance.objects.bulk_update(changed, [*NODE_FIELDS, "updated_at"])
    if new:
        ComponentInstance.objects.bulk_create(new)
        node_pks.update({obj.node_id: obj.pk for obj in new})

    moved = [
        ComponentConnection(
            pk=existing_edges[key][0],
            source_id=node_pks[source],
            source_handle=handle,
            target_id=node_pks[target],
        )
        for key, (source, handle, target) in desired_edges.items()
        if key in existing_edges and existing_edges[key][1:] != (source, handle, target)
    ]
    if moved:
        _edges_move(moved, existing_edges, node_pks)

    desired_nodes = {node["id"] for node in draft.nodes}
    stale_nodes = [n.pk for key, n in existing_nodes.items() if key not in desired_nodes]
    if stale_nodes:
        ComponentInstance.objects.filter(pk__in=stale_nodes).delete()

    new_edges = [
        ComponentConnection(
            flow=flow, edge_id=key, source_id=node_pks[source], source_handle=handle, target_id=node_pks[target]
        )
        for key, (source, handle, target) in desired_edges.items()
        if key not in existing_edges
    ]
    if new_edges:
        ComponentConnection.objects.bulk_create(new_edges)


def _edges_move(moved: list[ComponentConnection], existing: dict, node_pks: dict[str, int]) -> None:
    """Re-point edges in place. When one moves onto a handle another moving edge still holds
    (two edges swapping handles), they are parked on handles no real node has first: one
    edge per handle is checked row by row, not at the end of the statement."""
    fields = ["source_id", "source_handle", "target_id"]
    by_pk = {pk: (source, handle) for pk, source, handle, _ in existing.values()}
    held = {(node_pks.get(by_pk[edge.pk][0]), by_pk[edge.pk][1]) for edge in moved}
    if any((edge.source_id, edge.source_handle) in held for edge in moved):
        parked = [ComponentConnection(pk=edge.pk, source_handle=f"~{edge.pk}") for edge in moved]
        ComponentConnection.objects.bulk_update(parked, ["source_handle"])
    ComponentConnection.objects.bulk_update(moved, fields)


def _variables_save(flow: Flow, draft: GraphDraft) -> None:
    existing = {row.name: row for row in ComponentVariable.objects.filter(flow=flow)}
    desired = _usage_rows(flow, draft)
    fields = ["default", "declared", "read_by", "written_by"]
    changed, new = [], []
    for row in desired:
        current = existing.pop(row.name, None)
        if current is None:
            new.append(row)
        elif any(getattr(current, f) != getattr(row, f) for f in fields):
            row.pk = current.pk
            changed.append(row)
    if existing:
        ComponentVariable.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    if changed:
        ComponentVariable.objects.bulk_update(changed, fields)
    if new:
        ComponentVariable.objects.bulk_create(new)


def _node_dict(node: ComponentInstance) -> dict:
    body = {
        "id": node.node_id,
        "type": node.type,
        "position": {"x": node.position_x, "y": node.position_y},
        "data": node.config,
    }
    if node.label:
        body["label"] = node.label
    return body


def graph_load(flow: Flow) -> GraphDraft:
    """The flow's graph as docs/graph.md dicts: two queries whatever its size."""
    nodes = ComponentInstance.objects.filter(flow=flow).only(
        "node_id", "type", "label", "position_x", "position_y", "config"
    )
    edges = (
        ComponentConnection.objects.filter(flow=flow)
        .values_list("edge_id", "source__node_id", "source_handle", "target__node_id")
        .order_by("id")
    )
    return GraphDraft(
        nodes=[_node_dict(n) for n in nodes],
        edges=[{"id": e, "source": s, "source_handle": h, "target": t} for e, s, h, t in edges],
        variables=[{"name": v["name"], "default": v.get("default")} for v in flow.variables],
    )


def graphs_load(flows: Iterable[Flow]) -> dict[int, GraphDraft]:
    """Graphs of several flows (a whole chatbot) in two queries."""
    flows = list(flows)
    drafts = {
        f.pk: GraphDraft(variables=[{"name": v["name"], "default": v.get("default")} for v in f.variables])
        for f in flows
    }
    for node in ComponentInstance.objects.filter(flow__in=flows).only(
        "flow_id", "node_id", "type", "label", "position_x", "position_y", "config"
    ):
        drafts[node.flow_id].nodes.append(_node_dict(node))
    edges: QuerySet = (
        ComponentConnection.objects.filter(flow__in=flows)
        .values_list("flow_id", "edge_id", "source__node_id", "source_handle", "target__node_id")
        .order_by("id")
    )
    for flow_id, e, s, h, t in edges:
        drafts[flow_id].edges.append({"id": e, "source": s, "source_handle": h, "target": t})
    return drafts
