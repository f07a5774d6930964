"""Builder operations that touch the draft graph: creating bots and flows with their start
node, cloning, templates, publishing and rollback."""

import copy

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from authentication.models import User
from chatbots.models import Chatbot, ChatbotVersion
from chatbots.options import options_clean
from chatbots.signals import chatbot_published
from components.compiler import snapshot_compile
from components.exceptions import PublishValidationError
from components.graph import GraphDraft, graph_check, graph_load, graph_save, graphs_load
from components.models import ComponentVariable
from components.validation import graph_report
from flows.models import Flow, FlowTemplate

START_NODE = {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}}


def _starter_graph() -> GraphDraft:
    return GraphDraft(nodes=[copy.deepcopy(START_NODE)], edges=[], variables=[])


def draft_from_dict(graph: dict) -> GraphDraft:
    return GraphDraft(
        nodes=copy.deepcopy(list(graph.get("nodes") or [])),
        edges=copy.deepcopy(list(graph.get("edges") or [])),
        variables=copy.deepcopy(list(graph.get("variables") or [])),
    )


@transaction.atomic
def chatbot_create(
    owner: User, *, name: str, description: str = "", appearance: dict | None = None, behavior: dict | None = None
) -> Chatbot:
    """A new draft chatbot with its main flow, which holds one start node."""
    chatbot = Chatbot(
        owner=owner,
        name=name,
        description=description,
        appearance=options_clean("appearance", appearance or {}),
        behavior=options_clean("behavior", behavior or {}),
    )
    chatbot.full_clean()
    chatbot.save()
    flow = Flow.objects.create(chatbot=chatbot, name="Main flow", is_main=True)
    graph_save(flow, _starter_graph())
    chatbot.main_flow = flow
    chatbot.save(update_fields=["main_flow"])
    return chatbot


@transaction.atomic
def flow_create(
    chatbot: Chatbot,
    *,
    name: str,
    description: str = "",
    settings: dict | None = None,
    graph: GraphDraft | None = None,
) -> Flow:
    """A secondary flow of `chatbot`, holding `graph` or else one start node. Raises
    ValidationError (nothing created) when the graph is invalid."""
    if Flow.objects.filter(chatbot=chatbot).count() >= django_settings.CHATBOT_MAX_FLOWS:
        raise ValidationError(f"A chatbot has at most {django_settings.CHATBOT_MAX_FLOWS} flows.")
    flow = Flow(chatbot=chatbot, name=name, description=description, settings=settings or {}, is_main=False)
    flow.full_clean()
    flow.save()
    graph_save(flow, graph or _starter_graph())
    return flow


def flow_clone(flow: Flow, *, name: str | None = None) -> Flow:
    return flow_create(
        flow.chatbot,
        name=name or f"{flow.name} (copy)",
        description=flow.description,
        settings=copy.deepcopy(flow.settings),
        graph=graph_load(flow),
    )


def flow_from_template(template: FlowTemplate, *, chatbot: Chatbot, name: str | None = None) -> Flow:
    return flow_create(
        chatbot, name=name or template.name, description=template.description, graph=draft_from_dict(template.graph)
    )


def template_graph_check(graph: dict) -> dict:
    """Check a template's graph like a flow's; flow links are refused (they name another bot's flows)."""
    draft = graph_check(draft_from_dict(graph))
    linked = [n["id"] for n in draft.nodes if n["type"] == "flow_link"]
    if linked:
        raise ValidationError({"graph": f"Templates cannot hold flow_link nodes ({', '.join(linked)})."})
    return draft.as_dict()


@transaction.atomic
def chatbot_clone(chatbot: Chatbot, *, owner: User, name: str | None = None) -> Chatbot:
    """Deep copy: flows, nodes, edges and variables, under a new public id, as a draft. No
    versions, no sessions. Flow links are re-pointed at the copies of their flows."""
    flows = list(chatbot.flows.all())
    drafts = graphs_load(flows)
    clone = Chatbot.objects.create(
        owner=owner,
        name=name or f"{chatbot.name} (copy)",
        description=chatbot.description,
        appearance=copy.deepcopy(chatbot.appearance),
        behavior=copy.deepcopy(chatbot.behavior),
    )
    new_ids: dict[int, int] = {}
    copies: list[tuple[Flow, Flow]] = []
    for flow in flows:
        twin = Flow.objects.create(
            chatbot=clone,
            name=flow.name,
            description=flow.description,
            is_main=flow.is_main,
            settings=copy.deepcopy(flow.settings),
        )
        new_ids[flow.pk] = twin.pk
        copies.append((flow, twin))
    for flow, twin in copies:
        draft = drafts[flow.pk]
        for node in draft.nodes:
            if node["type"] == "flow_link" and node["data"].get("flow") in new_ids:
                node["data"]["flow"] = new_ids[node["data"]["flow"]]
        graph_save(twin, draft)
        if twin.is_main:
            clone.main_flow = twin
    clone.save(update_fields=["main_flow"])
    return clone


def chatbot_check(chatbot: Chatbot) -> tuple[list[Flow], dict[int, GraphDraft], list[dict]]:
    """Every flow's graph and the errors that block publishing, as {flow_id, node_id, code, message}."""
    flows = list(chatbot.flows.all())
    drafts = graphs_load(flows)
    flow_ids = {f.pk for f in flows}
    errors = []
    for flow in flows:
        for error in graph_report(drafts[flow.pk], chatbot_flow_ids=flow_ids)["errors"]:
            errors.append({"flow_id": flow.pk, **error})
    return flows, drafts, errors


def chatbot_compile(chatbot: Chatbot) -> dict:
    """The snapshot of the current drafts (used by publish and by the owner's preview).
    Raises PublishValidationError when a flow has errors."""
    flows, drafts, errors = chatbot_check(chatbot)
    if errors:
        raise PublishValidationError(errors)
    return snapshot_compile(
        chatbot_id=chatbot.pk,
        main_flow_id=chatbot.main_flow_id,
        flows=[(f.pk, f.name) for f in flows],
        drafts=drafts,
    )


def _version_create(chatbot: Chatbot, *, snapshot: dict, user: User, changelog: str, restored_from: int | None = None):
    # The caller holds the chatbot's row lock, so numbers are handed out one at a time.
    last = chatbot.versions.aggregate(last=Max("number"))["last"] or 0
    version = ChatbotVersion.objects.create(
        chatbot=chatbot,
        number=last + 1,
        snapshot=snapshot,
        changelog=changelog,
        created_by=user,
        restored_from=restored_from,
    )
    chatbot.live_version = version
    chatbot.status = Chatbot.Status.PUBLISHED
    chatbot.save(update_fields=["live_version", "status", "updated_at"])
    chatbot_published.send(sender=Chatbot, chatbot=chatbot, version=version)
    return version


@transaction.atomic
def chatbot_publish(chatbot: Chatbot, *, user: User, changelog: str = "") -> ChatbotVersion:
    """Validate every flow and publish the next version.

    Locks the chatbot row, so two simultaneous publishes get consecutive numbers. Raises
    PublishValidationError (nothing changes) when any flow has errors.
    """
    chatbot = Chatbot.objects.select_for_update().get(pk=chatbot.pk)
    snapshot = chatbot_compile(chatbot)
    return _version_create(chatbot, snapshot=snapshot, user=user, changelog=changelog)


@transaction.atomic
def chatbot_restore(chatbot: Chatbot, *, number: int, user: User, changelog: str = "") -> ChatbotVersion:
    """Roll back: publish a new version whose snapshot equals version `number`'s."""
    chatbot = Chatbot.objects.select_for_update().get(pk=chatbot.pk)
    source = ChatbotVersion.objects.get(chatbot=chatbot, number=number)
    return _version_create(
        chatbot,
        snapshot=source.snapshot,
        user=user,
        changelog=changelog or f"Restored version {number}.",
        restored_from=number,
    )


# --- Single node, edge and variable writes -------------------------------------------------
# Each loads the flow's graph under the flow's row lock, changes it and saves it through
# graph_save, so these endpoints keep exactly the invariants the graph PUT keeps.


@transaction.atomic
def _graph_mutate(flow: Flow, change) -> GraphDraft:
    Flow.objects.select_for_update().filter(pk=flow.pk).values_list("pk").first()
    draft = graph_load(flow)
    change(draft)
    return graph_save(flow, draft)


def graph_change_check(flow: Flow, change) -> GraphDraft:
    """What `change` would make of the flow's graph, checked as a write would check it, without
    saving anything (the admin validates its forms with it). Raises what the write would."""
    draft = graph_load(flow)
    change(draft)
    return graph_check(draft)


def _not_found(kind: str, key: str) -> ValidationError:
    return ValidationError({kind: f"No {kind} {key!r} in this flow."})


def _node_index(draft: GraphDraft, node_id: str) -> int:
    for index, node in enumerate(draft.nodes):
        if node["id"] == node_id:
            return index
    raise _not_found("node", node_id)


def _apply_node_update(draft: GraphDraft, node_id: str, changes: dict) -> None:
    index = _node_index(draft, node_id)
    node = dict(draft.nodes[index])
    if "type" in changes and changes["type"] != node["type"]:
        node["type"] = changes["type"]
        node["data"] = {}
    if "data" in changes:
        node["data"] = {**node["data"], **changes["data"]}
    for key in ("label", "position"):
        if key in changes:
            node[key] = changes[key]
    draft.nodes[index] = node


def _drop_nodes(draft: GraphDraft, node_ids: set[str]) -> None:
    missing = node_ids - {n["id"] for n in draft.nodes}
    if missing:
        raise _not_found("node", sorted(missing)[0])
    draft.nodes[:] = [n for n in draft.nodes if n["id"] not in node_ids]
    draft.edges[:] = [e for e in draft.edges if e["source"] not in node_ids and e["target"] not in node_ids]


def node_create(flow: Flow, *, node: dict) -> None:
    _graph_mutate(flow, lambda draft: draft.nodes.append(node))


def _put(items: list[dict], item: dict) -> None:
    """Replace the item with `item`'s id whole, or add it."""
    for index, current in enumerate(items):
        if current["id"] == item["id"]:
            items[index] = item
            return
    items.append(item)


def node_put(draft: GraphDraft, node: dict) -> None:
    """Put `node` into `draft` whole (its `data` replaces the stored config), or add it."""
    _put(draft.nodes, node)


def node_save(flow: Flow, *, node: dict) -> None:
    """Create the node, or replace the one with its id (config included, nothing merged)."""
    _graph_mutate(flow, lambda draft: node_put(draft, node))


def edge_put(draft: GraphDraft, edge: dict) -> None:
    """Put `edge` into `draft` whole, or add it."""
    _put(draft.edges, edge)


def edge_save(flow: Flow, *, edge: dict) -> None:
    """Create the edge, or re-point the one with its id."""
    _graph_mutate(flow, lambda draft: edge_put(draft, edge))


def node_update(flow: Flow, *, node_id: str, changes: dict) -> None:
    """Partial update; `data` merges into the stored config (a type change starts from the new type's defaults)."""
    _graph_mutate(flow, lambda draft: _apply_node_update(draft, node_id, changes))


def node_delete(flow: Flow, *, node_id: str) -> None:
    """Delete a node and the edges that touch it."""
    _graph_mutate(flow, lambda draft: _drop_nodes(draft, {node_id}))


def nodes_bulk(flow: Flow, *, create: list[dict], update: list[dict], delete: list[str]) -> GraphDraft:
    """Create, update and delete nodes in one transaction: all of it happens, or none."""

    def change(draft: GraphDraft) -> None:
        _drop_nodes(draft, set(delete))
        for item in update:
            item = dict(item)
            _apply_node_update(draft, item.pop("id"), item)
        draft.nodes.extend(create)

    return _graph_mutate(flow, change)


def _edge_index(draft: GraphDraft, edge_id: str) -> int:
    for index, edge in enumerate(draft.edges):
        if edge["id"] == edge_id:
            return index
    raise _not_found("edge", edge_id)


def edge_create(flow: Flow, *, edge: dict) -> None:
    _graph_mutate(flow, lambda draft: draft.edges.append(edge))


def edge_update(flow: Flow, *, edge_id: str, changes: dict) -> None:
    def change(draft: GraphDraft) -> None:
        index = _edge_index(draft, edge_id)
        draft.edges[index] = {**draft.edges[index], **changes}

    _graph_mutate(flow, change)


def edge_delete(flow: Flow, *, edge_id: str) -> None:
    _graph_mutate(flow, lambda draft: draft.edges.pop(_edge_index(draft, edge_id)))


def variable_declare(flow: Flow, *, name: str, default=None) -> None:
    _graph_mutate(flow, lambda draft: draft.variables.append({"name": name, "default": default}))


def variable_update(flow: Flow, *, name: str, changes: dict) -> str:
    """Change a declared variable's `default` and/or its `name`; returns its (new) name.

    A rename changes the declaration and keeps the variable's id. Nodes are not rewritten:
    those that still use the old name show it as an undeclared variable (validate/ lists
    them) until they are pointed at the new one. Raises ValidationError (nothing changes)
    for an unknown variable or a name another declared variable has."""
    new_name = changes.get("name", name)

    def change(draft: GraphDraft) -> None:
        variable = next((v for v in draft.variables if v["name"] == name), None)
        if variable is None:
            raise _not_found("variable", name)
        if "default" in changes:
            variable["default"] = changes["default"]
        if new_name == name:
            return
        if any(v["name"] == new_name for v in draft.variables):
            raise ValidationError({"name": f"A variable named {new_name!r} is already declared in this flow."})
        variable["name"] = new_name
        # The declaration's row moves to the new name (keeping its id); a row that only
        # recorded uses of the new name gives way to it.
        ComponentVariable.objects.filter(flow=flow, name=new_name, declared=False).delete()
        ComponentVariable.objects.filter(flow=flow, name=name).update(name=new_name)

    _graph_mutate(flow, change)
    return new_name


def variable_undeclare(flow: Flow, *, name: str) -> None:
    """Remove the declaration; nodes that still use the variable show up as undefined_variable."""

    def change(draft: GraphDraft) -> None:
        kept = [v for v in draft.variables if v["name"] != name]
        if len(kept) == len(draft.variables):
            raise _not_found("variable", name)
        draft.variables[:] = kept

    _graph_mutate(flow, change)
