"""Importing a chatbot from a file: a Typebot export or one of our own exports."""

import copy
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from rest_framework.exceptions import ValidationError as FieldErrors

from authentication.models import User
from chatbots.models import Chatbot
from chatbots.options import options_clean
from components.exceptions import GraphValidationError, ImportRefused
from components.graph import GraphDraft, graph_save
from components.importers.native import FORMAT, native_plan
from components.importers.plan import ImportPlan
from components.importers.typebot import TypebotImporter
from config.contract import GraphSerializer, validated
from flows.models import Flow


def import_plan(document: Any) -> ImportPlan:
    """What importing `document` would create, without writing anything. Raises ImportRefused
    when it is neither a Typebot 6 export nor one of ours, or is malformed or too large."""
    if not isinstance(document, Mapping):
        raise ImportRefused({"non_field_errors": ["The file must hold a JSON object."]})
    if document.get("format") == FORMAT:
        plan = native_plan(document)
    elif "groups" in document and "version" in document:
        plan = TypebotImporter(document, max_nodes=settings.CHATBOT_IMPORT_MAX_NODES).plan()
    else:
        raise ImportRefused(
            {
                "non_field_errors": [
                    "This is neither a Typebot export (a JSON file with `version` and `groups`) "
                    f'nor a chatbot export of ours (`"format": "{FORMAT}"`).'
                ]
            }
        )
    return plan


def _checked_graphs(plan: ImportPlan) -> list[GraphDraft]:
    """Every planned graph as the graph PUT's serializer reads its body (the same shape checks,
    the same normalisation); then at most CHATBOT_IMPORT_MAX_NODES nodes in all."""
    drafts, errors = [], {}
    for index, planned in enumerate(plan.flows):
        try:
            graph = validated(GraphSerializer, planned.graph.as_dict())
        except FieldErrors as exc:
            errors[f"flows[{index}].graph"] = exc.detail
            continue
        drafts.append(GraphDraft(nodes=graph["nodes"], edges=graph["edges"], variables=graph["variables"]))
    if errors:
        raise ImportRefused(errors)
    total = sum(len(draft.nodes) for draft in drafts)
    limit = settings.CHATBOT_IMPORT_MAX_NODES
    if total > limit:
        raise ImportRefused({"non_field_errors": [f"One import creates at most {limit} nodes; this file has {total}."]})
    return drafts


@transaction.atomic
def chatbot_import(owner: User, *, document: Any) -> tuple[Chatbot, dict]:
    """Create a draft chatbot from `document` and return it with the import report
    (`{source, source_version, warnings, renamed_variables, left_out}`).

    Everything happens in one transaction: when anything is wrong (ImportRefused naming what,
    or a ValidationError of the chatbot's settings) nothing is created. Every flow's graph goes
    through the graph PUT's serializer and `graph_save`, so it passes exactly the PUT's checks."""
    plan = import_plan(document)
    drafts = _checked_graphs(plan)
    chatbot = Chatbot(
        owner=owner,
        name=plan.name,
        description=plan.description,
        appearance=options_clean("appearance", plan.appearance),
        behavior=options_clean("behavior", plan.behavior),
    )
    chatbot.full_clean()
    chatbot.save()
    flows: dict[str, Flow] = {}
    for planned in plan.flows:
        flow = Flow(
            chatbot=chatbot,
            name=planned.name,
            description=planned.description,
            is_main=planned.is_main,
            settings=copy.deepcopy(planned.settings),
        )
        flow.full_clean()
        flow.save()
        flows[planned.key] = flow
        if planned.is_main:
            chatbot.main_flow = flow
    for index, (planned, draft) in enumerate(zip(plan.flows, drafts, strict=True)):
        for node in draft.nodes:
            data = node.get("data")
            if node.get("type") == "flow_link" and isinstance(data, dict) and isinstance(data.get("flow"), str):
                linked = flows.get(data["flow"])
                if linked is None:
                    raise ImportRefused(
                        {
                            f"flows[{index}].graph.nodes": [
                                f"Node {node['id']!r} links to flow {data['flow']!r}, which the file does not hold."
                            ]
                        }
                    )
                node["data"] = {**data, "flow": linked.pk}
        try:
            graph_save(flows[planned.key], draft)
        except GraphValidationError as exc:
            raise ImportRefused({f"flows[{index}].graph": exc.detail}) from exc
    chatbot.save(update_fields=["main_flow"])
    return chatbot, plan.report.as_dict()
