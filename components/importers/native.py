"""Our own export format: a whole chatbot in one JSON document, versioned.

    {"format": "chatbot-builder", "format_version": 1, "exported_at": "2026-…Z",
     "chatbot": {"name", "description", "appearance", "behavior"},
     "flows": [{"id": "f1", "name", "description", "is_main", "settings",
                "graph": {"nodes": […], "edges": […], "variables": […]}}]}

Graphs are in the graph API's shape. A `flow_link` node names the flow it calls by its `id` in
the file ("f2"), so the file does not depend on this server's ids; importing it creates a
draft whose flows link to each other the same way. Exporting that draft gives back the same
document (but for `exported_at`).
"""

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from chatbots.models import Chatbot
from components.exceptions import ImportRefused
from components.graph import GraphDraft, graphs_load
from components.importers.plan import ImportPlan, ImportReport, PlannedFlow

FORMAT = "chatbot-builder"
FORMAT_VERSION = 1
MAX_FLOWS = 50


def chatbot_export(chatbot: Chatbot) -> dict[str, Any]:
    """The chatbot and every flow's draft graph as a document of our format (three queries)."""
    flows = list(chatbot.flows.all())
    drafts = graphs_load(flows)
    keys = {flow.pk: f"f{index}" for index, flow in enumerate(flows, start=1)}
    exported = []
    for flow in flows:
        draft = drafts[flow.pk]
        for node in draft.nodes:
            if node["type"] == "flow_link" and node["data"].get("flow") in keys:
                node["data"] = {**node["data"], "flow": keys[node["data"]["flow"]]}
        exported.append(
            {
                "id": keys[flow.pk],
                "name": flow.name,
                "description": flow.description,
                "is_main": flow.is_main,
                "settings": flow.settings,
                "graph": draft.as_dict(),
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "chatbot": {
            "name": chatbot.name,
            "description": chatbot.description,
            "appearance": chatbot.appearance,
            "behavior": chatbot.behavior,
        },
        "flows": exported,
    }


def _text(value: Any, where: str, *, limit: int, errors: dict, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors[where] = ["Must be text." if not required else "Must be non-empty text."]
        return ""
    if len(value) > limit:
        errors[where] = [f"At most {limit} characters."]
    return value


def native_plan(document: Mapping[str, Any]) -> ImportPlan:
    """An import plan from a document of our format. Raises ImportRefused naming each problem
    of shape (the graphs are checked when imported, like a graph PUT's body)."""
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise ImportRefused(
            {
                "format_version": [
                    f"Format version {version!r} {'is newer than this server reads' if newer else 'is unknown'}; "
                    f"this server reads version {FORMAT_VERSION}."
                ]
            }
        )
    errors: dict[str, Any] = {}
    bot = document.get("chatbot")
    if not isinstance(bot, Mapping):
        raise ImportRefused({"chatbot": ["Must be an object with the chatbot's name and settings."]})
    name = _text(bot.get("name"), "chatbot.name", limit=200, errors=errors, required=True)
    description = _text(bot.get("description"), "chatbot.description", limit=2000, errors=errors)
    settings = {}
    for kind in ("appearance", "behavior"):
        settings[kind] = bot.get(kind) if bot.get(kind) is not None else {}
        if not isinstance(settings[kind], Mapping):
            errors[f"chatbot.{kind}"] = ["Must be an object."]
    flows = document.get("flows")
    if not isinstance(flows, list) or not flows:
        raise ImportRefused({"flows": ["Must be a non-empty list of flows."]})
    if len(flows) > MAX_FLOWS:
        raise ImportRefused({"flows": [f"At most {MAX_FLOWS} flows."]})
    planned: list[PlannedFlow] = []
    keys: set[str] = set()
    for index, flow in enumerate(flows):
        where = f"flows[{index}]"
        if not isinstance(flow, Mapping):
            errors[where] = ["Must be an object."]
            continue
        key = flow.get("id")
        if not isinstance(key, str) or not key or len(key) > 100:
            errors[f"{where}.id"] = ["Must be non-empty text (at most 100 characters)."]
        elif key in keys:
            errors[f"{where}.id"] = [f"Flow id {key!r} is used twice."]
        keys.add(key)
        flow_settings = flow.get("settings") if flow.get("settings") is not None else {}
        if not isinstance(flow_settings, Mapping):
            errors[f"{where}.settings"] = ["Must be an object."]
        graph = flow.get("graph")
        if not isinstance(graph, Mapping):
            errors[f"{where}.graph"] = ["Must be an object with `nodes`, `edges` and `variables`."]
            continue
        planned.append(
            PlannedFlow(
                key=key if isinstance(key, str) else "",
                name=_text(flow.get("name"), f"{where}.name", limit=200, errors=errors, required=True),
                description=_text(flow.get("description"), f"{where}.description", limit=2000, errors=errors),
                is_main=flow.get("is_main") is True,
                settings=dict(flow_settings) if isinstance(flow_settings, Mapping) else {},
                # As in the file: the import checks it like a graph PUT's body.
                graph=GraphDraft(nodes=graph.get("nodes"), edges=graph.get("edges"), variables=graph.get("variables")),
            )
        )
    if not errors and sum(flow.is_main for flow in planned) != 1:
        errors["flows"] = ["Exactly one flow must be the main one (`is_main`)."]
    if errors:
        raise ImportRefused(errors)
    return ImportPlan(
        name=name,
        description=description,
        appearance=dict(settings["appearance"]),
        behavior=dict(settings["behavior"]),
        flows=planned,
        report=ImportReport(source=FORMAT, source_version=str(FORMAT_VERSION)),
    )
