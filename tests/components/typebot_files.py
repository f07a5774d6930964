"""Typebot 6 exports for the tests, written here from Typebot's documented export format (the
shape its editor downloads); no file of Typebot's is copied. `tests/fixtures/typebot/` holds
whole bots as files; these helpers build the small ones each mapping test needs."""

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "typebot"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def export(
    *groups: dict,
    variables: tuple = (),
    edges: tuple = (),
    start: str | None = "g1",
    name: str = "Test bot",
    version: str = "6",
    **extra: Any,
) -> dict:
    """A whole export: the start event leads to group `start` (None: nowhere)."""
    all_edges = list(edges)
    event = {"id": "ev-start", "type": "start", "graphCoordinates": {"x": 0, "y": 0}}
    if start is not None:
        event["outgoingEdgeId"] = "e-start"
        all_edges.append({"id": "e-start", "from": {"eventId": "ev-start"}, "to": {"groupId": start}})
    return {
        "version": version,
        "id": "tb-test",
        "name": name,
        "events": [event],
        "groups": list(groups),
        "edges": all_edges,
        "variables": [variable(*v) if isinstance(v, tuple) else v for v in variables],
        "theme": {},
        "settings": {},
        "publicId": None,
        "workspaceId": "ws-1",
        "folderId": None,
        "isArchived": False,
        "isClosed": False,
        **extra,
    }


def group(group_id: str, title: str, *blocks: dict, x: float = 0, y: float = 0) -> dict:
    return {"id": group_id, "title": title, "graphCoordinates": {"x": x, "y": y}, "blocks": list(blocks)}


def variable(variable_id: str, name: str, value: Any = None) -> dict:
    found = {"id": variable_id, "name": name}
    if value is not None:
        found["value"] = value
    return found


def edge(edge_id: str, to_group: str, to_block: str | None = None, *, source: str = "", item: str = "") -> dict:
    origin = {"blockId": source} if source else {"eventId": "ev-start"}
    if item:
        origin["itemId"] = item
    target = {"groupId": to_group}
    if to_block:
        target["blockId"] = to_block
    return {"id": edge_id, "from": origin, "to": target}


def block(block_id: str, type_name: str, *, edge: str | None = None, **fields: Any) -> dict:
    found = {"id": block_id, "type": type_name, **fields}
    if edge:
        found["outgoingEdgeId"] = edge
    return found


def paragraph(*leaves: Any) -> dict:
    return {"type": "p", "children": [{"text": leaf} if isinstance(leaf, str) else leaf for leaf in leaves]}


def text(block_id: str, *paragraphs: Any, edge: str | None = None) -> dict:
    """A text bubble: each paragraph a string, or a paragraph() of leaves."""
    rich = [paragraph(p) if isinstance(p, str) else p for p in paragraphs]
    return block(block_id, "text", edge=edge, content={"richText": rich})


def set_variable(block_id: str, variable_id: str, expression: str | None = None, *, kind: str = "Custom", **options):
    opts = {"variableId": variable_id, "type": kind, **options}
    if expression is not None:
        opts["expressionToEvaluate"] = expression
    return block(block_id, "Set variable", options=opts)


def buttons(block_id: str, variable_id: str, *items: tuple, edge: str | None = None, **options: Any) -> dict:
    """A buttons block; each item (id, text) or (id, text, edge id)."""
    return block(
        block_id,
        "choice input",
        edge=edge,
        options={"variableId": variable_id, **options},
        items=[
            {"id": item[0], "content": item[1], **({"outgoingEdgeId": item[2]} if len(item) > 2 else {})}
            for item in items
        ],
    )


def comparison(variable_id: str, operator: str, value: str | None = None) -> dict:
    found = {"id": f"cmp-{variable_id}-{operator}", "variableId": variable_id, "comparisonOperator": operator}
    if value is not None:
        found["value"] = value
    return found


def condition(block_id: str, *items: tuple, edge: str | None = None) -> dict:
    """A condition block; each item (id, [comparisons], "AND"/"OR", edge id or None)."""
    return block(
        block_id,
        "Condition",
        edge=edge,
        items=[
            {
                "id": item_id,
                "content": {"logicalOperator": logical, "comparisons": comparisons},
                **({"outgoingEdgeId": item_edge} if item_edge else {}),
            }
            for item_id, comparisons, logical, item_edge in items
        ],
    )
