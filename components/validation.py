"""Graph-level validation of a flow (the `validate/` report and the publish gate).

Shape and config problems are refused when a graph is saved (components.graph); what is
checked here are problems of the graph as a whole, which a draft may have while it is being
built: no start, unreachable nodes, loops that could never stop, undefined variables…
"""

from collections.abc import Collection

from components.catalog import BLOCKING_TYPES, COMPONENT_TYPES, output_handles, variables_read, variables_written
from components.graph import GraphDraft, config_errors

ERROR, WARNING = "error", "warning"


def _issue(code: str, node_id: str | None, message: str) -> dict:
    return {"code": code, "node_id": node_id, "message": message}


def _strongly_connected(nodes: list[str], successors: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (a 10,000-node chain must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(successors.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def graph_report(draft: GraphDraft, *, chatbot_flow_ids: Collection[int]) -> dict[str, list[dict]]:
    """Errors (which block publishing) and warnings of one flow's graph, each `{code, node_id, message}`."""
    errors: list[dict] = []
    warnings: list[dict] = []
    nodes = {n["id"]: n for n in draft.nodes}
    declared = {v["name"] for v in draft.variables}

    starts = [node_id for node_id, n in nodes.items() if n["type"] == "start"]
    if not starts:
        errors.append(_issue("no_start", None, "The flow has no start node."))
    for extra in starts[1:]:
        errors.append(_issue("multiple_starts", extra, "A flow has exactly one start node; remove this one."))

    # Wiring: handle -> target per node; jumps are edges to their target.
    wired: dict[str, dict[str, str]] = {node_id: {} for node_id in nodes}
    for edge in draft.edges:
        if edge["source"] in wired and edge["target"] in nodes:
            wired[edge["source"]][edge["source_handle"]] = edge["target"]
    handles: dict[str, list[str]] = {}
    invalid: set[str] = set()
    for node_id, node in nodes.items():
        type_name, data = node["type"], node["data"]
        if type_name not in COMPONENT_TYPES:
            errors.append(_issue("invalid_config", node_id, f"Unknown component type {type_name!r}."))
            handles[node_id] = []
            invalid.add(node_id)
            continue
        problems = config_errors(type_name, data)
        for field_name, messages in problems.items():
            errors.append(_issue("invalid_config", node_id, f"{field_name}: {'; '.join(messages)}"))
        handles[node_id] = [] if problems else output_handles(type_name, data)
        if problems:
            invalid.add(node_id)
            continue
        if type_name in ("choice", "picture_choice") and not data.get("options") and not data.get("dynamic_variable"):
            errors.append(_issue("invalid_config", node_id, "Add at least one option (or a dynamic list)."))
        if type_name == "condition" and not data.get("branches"):
            warnings.append(_issue("missing_branch", node_id, "The condition has no branches; it always goes to else."))
        if type_name == "jump":
            target = data.get("target")
            if target not in nodes:
                errors.append(_issue("jump_target_missing", node_id, f"Jump target {target!r} is not in this flow."))
            else:
                wired[node_id]["jump"] = target
        if type_name == "flow_link" and data.get("flow") not in chatbot_flow_ids:
            errors.append(
                _issue("flow_link_target_missing", node_id, f"Flow {data.get('flow')!r} is not a flow of this chatbot.")
            )
        try:
            used = variables_read(type_name, data) | variables_written(type_name, data)
        except SyntaxError:
            used = variables_written(type_name, data)
        for name in sorted(used - declared):
            errors.append(_issue("undefined_variable", node_id, f"Variable {name!r} is used but not declared."))

    # Reachability from the start. An unreachable node never runs, so it is only a warning (an
    # imported bot keeps the groups nothing leads to, and must still publish).
    reached: set[str] = set()
    if starts:
        reached = {starts[0]}
        frontier = [starts[0]]
        while frontier:
            for target in wired[frontier.pop()].values():
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for node_id, node in nodes.items():
            if node_id not in reached and node["type"] != "start":
                warnings.append(
                    _issue("unreachable_node", node_id, "No path from the start node leads here; it never runs.")
                )

    for node_id, node in nodes.items():
        type_name = node["type"]
        if type_name in ("end", "jump") or node_id in invalid:
            continue
        if not wired[node_id] and type_name != "end":
            warnings.append(_issue("dead_end", node_id, "Nothing follows this node; the conversation ends here."))
        if type_name in ("choice", "picture_choice") and not node["data"].get("multiple"):
            for option in node["data"].get("options") or []:
                if option["id"] not in wired[node_id] and "default" not in wired[node_id]:
                    warnings.append(
                        _issue("missing_branch", node_id, f"Option {option['id']!r} has no edge and no default.")
                    )
        if type_name == "condition":
            for branch in node["data"].get("branches") or []:
                if branch["id"] not in wired[node_id]:
                    warnings.append(_issue("missing_branch", node_id, f"Branch {branch['id']!r} has no edge."))

    # Loops that can never stop: a cycle with no input in it and no way out of it.
    successors = {node_id: list(targets.values()) for node_id, targets in wired.items()}
    for component in _strongly_connected(list(nodes), successors):
        members = set(component)
        if len(component) == 1 and component[0] not in successors[component[0]]:
            continue
        if any(nodes[m]["type"] in BLOCKING_TYPES for m in members):
            continue
        has_exit = False
        for member in members:
            type_name = nodes[member]["type"]
            if type_name in ("end", "flow_link"):
                has_exit = True  # flow_link may end the session in the linked flow
            open_handles = [h for h in handles.get(member, []) if h not in wired[member]]
            if open_handles or any(t not in members for t in successors[member]):
                has_exit = True
            if has_exit:
                break
        if not has_exit:
            first = min(component, key=list(nodes).index)
            # A loop nothing reaches can never run, so it cannot hang a chat either.
            (errors if members & reached else warnings).append(
                _issue(
                    "input_free_loop",
                    first,
                    f"Nodes {', '.join(sorted(members))} loop with no input and no way out; it could never stop.",
                )
            )
    return {"errors": errors, "warnings": warnings}
