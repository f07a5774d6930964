"""Builds in-memory snapshots (the compiler's format 1) and run contexts for runner tests."""

import itertools
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from components.catalog import COMPONENT_TYPES, output_handles
from executions.runner import CallOutcome, RunContext, SessionState, TurnResult, run_reply, run_resume, run_start

NOW = datetime(2026, 3, 11, 10, 30, 15, tzinfo=UTC)  # a Wednesday
MAIN = "1"


def node(node_id: str, type_name: str, *, next: Mapping[str, str] | None = None, **data: Any) -> dict:
    """A node with the catalog's defaults filled in, like the compiler's output."""
    return {
        "id": node_id,
        "type": type_name,
        "data": {**COMPONENT_TYPES[type_name].defaults(), **data},
        "next": dict(next or {}),
    }


def make_flow(nodes: Iterable[dict], edges: Iterable[tuple] = (), *, name: str = "Main", chain: bool = False) -> dict:
    """A compiled flow. Edges are (source, target) for the `next` handle or (source, handle,
    target). With `chain`, each node that has a `next` handle and no edge yet links to the
    following node."""
    nodes = list(nodes)
    compiled = {n["id"]: {"type": n["type"], "data": n["data"], "next": dict(n["next"])} for n in nodes}
    for edge in edges:
        source, handle, target = edge if len(edge) == 3 else (edge[0], "next", edge[1])
        compiled[source]["next"][handle] = target
    if chain:
        for current, following in itertools.pairwise(nodes):
            links = compiled[current["id"]]["next"]
            if not links and "next" in output_handles(current["type"], current["data"]):
                links["next"] = following["id"]
    start = next((n["id"] for n in nodes if n["type"] == "start"), None)
    return {"name": name, "start": start, "nodes": compiled}


def make_snapshot(
    nodes: Iterable[dict],
    edges: Iterable[tuple] = (),
    *,
    variables: Mapping[str, Any] | None = None,
    flows: Mapping[str, dict] | None = None,
    chain: bool = False,
) -> dict:
    """A snapshot whose main flow (id "1") holds `nodes`; `flows` adds linked flows by id."""
    return {
        "format": 1,
        "chatbot_id": 1,
        "main_flow": MAIN,
        "variables": dict(variables or {}),
        "flows": {MAIN: make_flow(nodes, edges, chain=chain), **(flows or {})},
    }


def chain(*nodes: dict, variables: Mapping[str, Any] | None = None, flows: Mapping[str, dict] | None = None) -> dict:
    """A snapshot of nodes linked one after the other."""
    return make_snapshot(nodes, variables=variables, flows=flows, chain=True)


def context(*, seed: int = 1, now: datetime = NOW, **kwargs: Any) -> RunContext:
    return RunContext(session_id="session-1", now=now, rng=random.Random(seed), **kwargs)


def start(snapshot: Mapping, *, variables: Mapping | None = None, http=None, **kwargs: Any) -> TurnResult:
    """A first turn; with `http` (node_id, data, variables) -> (handle, updates, log), the calls
    the turn stops at are made and the turn resumed, as the service does, into one result."""
    run_context = context(**kwargs)
    return drive(snapshot, run_start(snapshot, context=run_context, variables=variables), http, run_context)


def reply(snapshot: Mapping, state: SessionState, value: Any, *, http=None, **kwargs: Any) -> TurnResult:
    run_context = context(**kwargs)
    return drive(snapshot, run_reply(snapshot, state, value, context=run_context), http, run_context)


def drive(snapshot: Mapping, result: TurnResult, http, run_context: RunContext) -> TurnResult:
    while result.call is not None and http is not None:
        call = result.call
        handle, updates, log = http(call.node_id, call.data, call.variables)
        following = run_resume(snapshot, result.state, CallOutcome(handle, updates or {}, log), context=run_context)
        result = TurnResult(
            state=following.state,
            messages=result.messages + following.messages,
            input=following.input,
            actions=result.actions + following.actions,
            logs=result.logs + following.logs,
            answer=result.answer,
            flow_transitions=result.flow_transitions + following.flow_transitions,
            call=following.call,
            emails=result.emails + following.emails,
        )
    return result


def texts(result: TurnResult) -> list[str | None]:
    return [message.text for message in result.messages]


def ask(type_name: str, value: Any, **data: Any) -> TurnResult:
    """Start a flow `start → <input> (variable "answer") → message` and answer the input."""
    snapshot = chain(
        node("s", "start"),
        node("q", type_name, variable="answer", **data),
        node("m", "message", text="Got {{answer}}"),
        variables={"answer": None},
    )
    first = start(snapshot)
    assert first.state.node_id == "q"
    return reply(snapshot, first.state, value)
