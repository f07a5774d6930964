"""Compiles a chatbot's draft graphs into the immutable snapshot the runner walks.

Snapshot format 1:
    {"format": 1, "chatbot_id": 12, "main_flow": "34",
     "variables": {"name": default, …},                      # every flow's, main flow first
     "variable_order": ["name", …],                          # (JSON objects lose their order in jsonb)
     "flows": {"34": {"name": "Main", "start": "n1",
                      "nodes": {"n1": {"type": "start", "data": {…}, "next": {"next": "n2"}}, …},
                      "node_order": ["n1", …]}}}
`data` holds every default of the catalog; `next` maps each connected handle to its target.
"""

from components.graph import GraphDraft

SNAPSHOT_FORMAT = 1


def snapshot_compile(
    *, chatbot_id: int, main_flow_id: int, flows: list[tuple[int, str]], drafts: dict[int, GraphDraft]
) -> dict:
    ordered = sorted(flows, key=lambda f: f[0] != main_flow_id)
    variables: dict = {}
    compiled: dict = {}
    for flow_id, name in ordered:
        draft = drafts[flow_id]
        for variable in draft.variables:
            variables.setdefault(variable["name"], variable.get("default"))
        nodes = {n["id"]: {"type": n["type"], "data": n["data"], "next": {}} for n in draft.nodes}
        for edge in draft.edges:
            nodes[edge["source"]]["next"][edge["source_handle"]] = edge["target"]
        start = next((n["id"] for n in draft.nodes if n["type"] == "start"), None)
        compiled[str(flow_id)] = {"name": name, "start": start, "nodes": nodes, "node_order": list(nodes)}
    return {
        "format": SNAPSHOT_FORMAT,
        "chatbot_id": chatbot_id,
        "main_flow": str(main_flow_id),
        "variables": variables,
        "variable_order": list(variables),
        "flows": compiled,
    }
