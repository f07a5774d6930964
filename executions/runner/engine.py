"""The engine: walks a compiled snapshot from a session state and an answer.

A turn executes non-blocking nodes in order until it reaches an input (presented; the session
waits), an `end` node, or a dead end (a handle without an edge: the current flow ends and the
caller's frame, if any, takes over; with no caller the session completes). It counts the
non-blocking nodes it executes and fails the session past `context.max_steps`, so a loop
without input can never hang a worker.

Problems met while walking a published flow (a jump to a missing node, an unknown linked flow,
a handler that raises) fail the session with a message to the visitor and an error log; the
functions here raise only for calls that cannot be honoured (`NotAwaitingInput`) and snapshots
or states that are malformed (`SnapshotError`).

Cost: every lookup is by id; nothing is proportional to the size of the flow.
"""

import math
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from executions.runner import handlers  # noqa: F401 - registers every handler
from executions.runner.errors import NotAwaitingInput, SnapshotError
from executions.runner.expressions import MAX_STRING_LENGTH
from executions.runner.handlers.base import catalog_defaults, setting
from executions.runner.inputs import InvalidAnswer
from executions.runner.registry import get_handler, is_blocking
from executions.runner.state import (
    ACTIVE,
    COMPLETED,
    FAILED,
    Answer,
    BotMessage,
    CallOutcome,
    CallPoint,
    Frame,
    InputRequest,
    LogEntry,
    PendingCall,
    RunContext,
    SessionState,
    TurnResult,
)
from executions.runner.templating import format_value
from executions.runner.turn import Node, Outcome, Turn, call_arguments, summarize

SNAPSHOT_FORMAT = 1
MAX_STACK_DEPTH = 20
LOOP_MESSAGE = (
    "This conversation stopped because the bot was stuck in a loop: "
    "it ran more than {max_steps} steps without waiting for an answer."
)
BROKEN_MESSAGE = "Sorry, this conversation can't continue because the bot has a configuration problem."


def run_start(
    snapshot: Mapping[str, Any], *, context: RunContext, variables: Mapping[str, Any] | None = None
) -> TurnResult:
    """Start a session at the main flow's start node and advance to the first input or the end.

    `variables` prefills declared variables (undeclared names are ignored; values are coerced
    to text, numbers, booleans or None). Raises SnapshotError for a malformed snapshot."""
    flows = _flows(snapshot)
    main_flow = str(snapshot.get("main_flow"))
    start = _flow(flows, main_flow).get("start")
    if not start:
        raise SnapshotError(f"The main flow {main_flow!r} has no start node.")
    turn = Turn(context, _initial_variables(snapshot, variables), {})
    walk = _Walk(turn, flows, main_flow, stack=[])
    walk.enter(main_flow)
    state = walk.run(str(start))
    return walk.result(state)


def run_reply(snapshot: Mapping[str, Any], state: SessionState, value: Any, *, context: RunContext) -> TurnResult:
    """Answer the pending input with `value` and advance.

    An invalid answer is a normal turn: one text message (the input's retry message), the same
    input again, the state unchanged and `answer.valid` False. Raises NotAwaitingInput when the
    session is not active with a pending input, SnapshotError when the state does not fit the
    snapshot."""
    if not state.awaiting_input:
        raise NotAwaitingInput(f"The session is {state.status} and is not waiting for an answer.")
    flows = _flows(snapshot)
    raw = _flow(flows, state.flow_id)["nodes"].get(state.node_id)
    if not isinstance(raw, Mapping) or not is_blocking(raw.get("type", "")):
        raise SnapshotError(f"The pending node {state.node_id!r} is not an input of flow {state.flow_id!r}.")
    handler = get_handler(raw["type"])
    node = _node(state.node_id, raw)
    turn = Turn(context, state.variables, state.counters)
    variable = node.get("variable", "") or None

    started = time.perf_counter()
    try:
        accepted = handler.accept(node, value, turn)
    except InvalidAnswer as exc:
        turn.trace(node, started, valid=False)
        return _retry(handler, node, turn, state, value, variable, str(exc))
    except Exception as exc:  # a parser bug must not lose the session: ask again, log it
        turn.error(node, f"The answer could not be checked: {type(exc).__name__}: {str(exc)[:200]}")
        return _retry(handler, node, turn, state, value, variable, "The answer could not be checked.")

    if variable:
        turn.variables[variable] = accepted.value
    turn.debug(node, "Answer accepted.", value=accepted.value, handle=accepted.handle)
    turn.trace(node, started, valid=True)
    answer = Answer(node_id=node.id, variable=variable, raw=value, parsed=accepted.value, valid=True)
    walk = _Walk(turn, flows, state.flow_id, stack=list(state.stack))
    next_state = walk.run(node.next.get(accepted.handle))
    return walk.result(next_state, answer=answer)


def run_resume(
    snapshot: Mapping[str, Any], state: SessionState, outcome: CallOutcome, *, context: RunContext
) -> TurnResult:
    """Resume a turn that stopped at a side effect (`TurnResult.call`) with its outcome, and
    advance to the next input, side effect or end. The step count goes on from where the turn
    stopped. Raises NotAwaitingInput when the state waits for no side effect, SnapshotError
    when it does not fit the snapshot."""
    if not state.awaiting_call:
        raise NotAwaitingInput(f"The session is {state.status} and is not waiting for a side effect.")
    flows = _flows(snapshot)
    raw = _flow(flows, state.flow_id)["nodes"].get(state.call.node_id)
    handler = get_handler(raw.get("type", "")) if isinstance(raw, Mapping) else None
    if handler is None or not callable(getattr(handler, "complete", None)):
        raise SnapshotError(f"The node {state.call.node_id!r} of flow {state.flow_id!r} makes no call to resume.")
    node = _node(state.call.node_id, raw)
    turn = Turn(context, state.variables, state.counters)
    walk = _Walk(turn, flows, state.flow_id, stack=list(state.stack), steps=state.call.steps)
    started = time.perf_counter()
    try:
        outcome = handler.complete(node, turn, outcome)
    except Exception as exc:  # a handler bug fails this session, not the worker
        return walk.result(walk._fail(node.id, node.type, f"The node failed: {type(exc).__name__}: {str(exc)[:200]}"))
    turn.trace(node, started, next=_next_of(outcome))
    return walk.result(walk.follow(node, outcome))


def pending_call(snapshot: Mapping[str, Any], state: SessionState) -> PendingCall:
    """The call a stored state stopped at, as the turn's `TurnResult.call` gave it: for making it
    again when the request that was making it died. Raises NotAwaitingInput when the state waits
    for no call, SnapshotError when it does not fit the snapshot."""
    if not state.awaiting_call:
        raise NotAwaitingInput(f"The session is {state.status} and is not waiting for a side effect.")
    raw = _flow(_flows(snapshot), state.flow_id)["nodes"].get(state.call.node_id)
    if not isinstance(raw, Mapping):
        raise SnapshotError(f"The node {state.call.node_id!r} is not in flow {state.flow_id!r}.")
    node = _node(state.call.node_id, raw)
    _, data, variables = call_arguments(node, state.variables)
    return PendingCall(node.id, node.type, data, variables)


def _retry(
    handler: Any, node: Node, turn: Turn, state: SessionState, value: Any, variable: str | None, error: str
) -> TurnResult:
    text = turn.render(node.data.get("retry_message") or "").strip()
    if not text:
        text = turn.render(catalog_defaults(node.type).get("retry_message", "")) or "Please try again."
    turn.say_text(node, text)
    turn.log(node, "info", f"Invalid answer: {error}", {"value": summarize(value)})
    return TurnResult(
        state=state,
        messages=tuple(turn.messages),
        input=handler.present(node, turn),
        logs=tuple(turn.logs),
        answer=Answer(node_id=node.id, variable=variable, raw=value, parsed=None, valid=False, error=error),
    )


class _Walk:
    """Advances one turn through the graph; holds the current flow and the call stack."""

    def __init__(self, turn: Turn, flows: Mapping[str, Any], flow_id: str, stack: list[Frame], steps: int = 0) -> None:
        self.turn = turn
        self.flows = flows
        self.flow_id = flow_id
        self.stack = stack
        self.steps = steps
        self.transitions: list[tuple[str, str]] = []
        self.input: InputRequest | None = None
        self.call: PendingCall | None = None

    def enter(self, flow_id: str) -> None:
        self.transitions.append(("enter", flow_id))

    def exit(self, flow_id: str) -> None:
        self.transitions.append(("exit", flow_id))

    def run(self, node_id: str | None) -> SessionState:
        turn = self.turn
        max_steps = turn.context.max_steps
        nodes = self._nodes(self.flow_id)
        while True:
            if node_id is None:  # dead end: the current flow is over
                node_id = self._return_to_caller()
                if node_id is None:
                    return self._state(COMPLETED)
                nodes = self._nodes(self.flow_id)
                if nodes is None:
                    return self._fail(node_id, "", f"The calling flow {self.flow_id!r} is not in this version.")
                continue
            raw = nodes.get(node_id)
            if not isinstance(raw, Mapping):
                return self._fail(node_id, "", f"The node {node_id!r} does not exist in flow {self.flow_id!r}.")
            node_type = raw.get("type", "")
            handler = get_handler(node_type)
            if handler is None:
                return self._fail(node_id, node_type, f"No handler for the component type {node_type!r}.")
            node = _node(node_id, raw)

            if is_blocking(node_type):
                return self._present(handler, node)

            self.steps += 1
            if self.steps > max_steps:
                turn.say_text(node, LOOP_MESSAGE.format(max_steps=max_steps))
                turn.error(
                    node,
                    f"Stopped at node {node_id!r} ({node_type}): more than {max_steps} steps without input.",
                    steps=self.steps,
                    max_steps=max_steps,
                )
                return self._state(FAILED)
            started = time.perf_counter()
            try:
                outcome: Outcome = handler.execute(node, turn)
            except Exception as exc:  # a handler bug fails this session, not the worker
                return self._fail(node_id, node_type, f"The node failed: {type(exc).__name__}: {str(exc)[:200]}")
            turn.trace(node, started, next=_next_of(outcome))
            routed = self._route(node, outcome, nodes)
            if isinstance(routed, SessionState):
                return routed
            node_id = routed
            nodes = self._nodes(self.flow_id)  # a flow link moves to another flow

    def follow(self, node: Node, outcome: Outcome) -> SessionState:
        """Route after `node` by its outcome, then walk on (a turn resumed after a call)."""
        routed = self._route(node, outcome, self._nodes(self.flow_id) or {})
        return routed if isinstance(routed, SessionState) else self.run(routed)

    def _route(self, node: Node, outcome: Outcome, nodes: Mapping[str, Any]) -> SessionState | str | None:
        """Where `outcome` leads from `node`: the next node id (None: a dead end), or the state
        the turn ends in (failed, completed, or stopped for a call)."""
        if outcome.error:
            return self._fail(node.id, node.type, outcome.error)
        if outcome.call:
            self.call = PendingCall(node.id, node.type, *call_arguments(node, self.turn.variables)[1:])
            return self._state(ACTIVE, call=CallPoint(node.id, self.steps))
        if outcome.end:
            self._exit_all()
            return self._state(COMPLETED)
        if outcome.goto is not None:
            if outcome.goto not in nodes:
                return self._fail(node.id, node.type, f"The jump target {outcome.goto!r} does not exist in this flow.")
            return outcome.goto
        if outcome.flow is not None:
            target_nodes = self._nodes(outcome.flow)
            start = self.flows[outcome.flow].get("start") if target_nodes is not None else None
            if not start:
                return self._fail(node.id, node.type, f"The linked flow {outcome.flow!r} is not in this version.")
            if outcome.return_after:
                if len(self.stack) >= MAX_STACK_DEPTH:
                    return self._fail(node.id, node.type, f"Flows are linked more than {MAX_STACK_DEPTH} levels deep.")
                self.stack.append(Frame(self.flow_id, node.next.get("next")))
            else:
                self.exit(self.flow_id)
            self.enter(outcome.flow)
            self.flow_id = outcome.flow
            return str(start)
        return node.next.get(outcome.handle) if outcome.handle else None

    def _present(self, handler: Any, node: Node) -> SessionState:
        turn = self.turn
        started = time.perf_counter()
        try:
            prompt = turn.render(setting(node, "prompt") or "")
            request = handler.present(node, turn)
        except Exception as exc:  # a handler bug fails this session, not the worker
            return self._fail(node.id, node.type, f"The input failed: {type(exc).__name__}: {str(exc)[:200]}")
        turn.trace(node, started, presented=True)
        if prompt.strip():
            turn.say_text(node, prompt)
        self.input = request
        return self._state(ACTIVE, node_id=node.id)

    def _return_to_caller(self) -> str | None:
        """End the current flow; continue in the innermost caller that has a return node."""
        self.exit(self.flow_id)
        while self.stack:
            frame = self.stack.pop()
            self.flow_id = frame.flow_id
            if frame.return_node is not None:
                return frame.return_node
            self.exit(frame.flow_id)
        return None

    def _exit_all(self) -> None:
        self.exit(self.flow_id)
        while self.stack:
            self.exit(self.stack.pop().flow_id)

    def _nodes(self, flow_id: str) -> Mapping[str, Any] | None:
        flow = self.flows.get(flow_id)
        nodes = flow.get("nodes") if isinstance(flow, Mapping) else None
        return nodes if isinstance(nodes, Mapping) else None

    def _fail(self, node_id: str, node_type: str, reason: str) -> SessionState:
        self.turn.messages.append(BotMessage(node_id=node_id, type="text", text=BROKEN_MESSAGE))
        self.turn.keep(LogEntry(node_id=node_id, node_type=node_type, level="error", message=reason))
        return self._state(FAILED)

    def _state(self, status: str, node_id: str | None = None, call: CallPoint | None = None) -> SessionState:
        return SessionState(
            status=status,
            flow_id=self.flow_id,
            node_id=node_id,
            variables=self.turn.variables,
            stack=tuple(self.stack) if status != COMPLETED else (),
            counters=self.turn.counters,
            call=call,
        )

    def result(self, state: SessionState, answer: Answer | None = None) -> TurnResult:
        turn = self.turn
        return TurnResult(
            state=state,
            messages=tuple(turn.messages),
            input=self.input if state.awaiting_input else None,
            actions=tuple(MappingProxyType(action) for action in turn.actions),
            logs=tuple(turn.logs),
            answer=answer,
            flow_transitions=tuple(self.transitions),
            call=self.call if state.awaiting_call else None,
            emails=tuple(MappingProxyType(email) for email in turn.emails),
        )


def _next_of(outcome: Outcome) -> str | None:
    """Where an outcome leads, in a few words, for a trace entry."""
    if outcome.error:
        return "fail"
    if outcome.call:
        return "call"
    if outcome.end:
        return "end"
    if outcome.goto is not None:
        return f"jump {outcome.goto}"
    if outcome.flow is not None:
        return f"flow {outcome.flow}"
    return outcome.handle


def _node(node_id: str, raw: Mapping[str, Any]) -> Node:
    return Node(
        id=node_id,
        type=raw.get("type", ""),
        data=raw.get("data") or {},
        next=raw.get("next") or {},
    )


def _flows(snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(snapshot, Mapping):
        raise SnapshotError("The snapshot is not a mapping.")
    if snapshot.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"Unsupported snapshot format {snapshot.get('format')!r}.")
    flows = snapshot.get("flows")
    if not isinstance(flows, Mapping):
        raise SnapshotError("The snapshot has no flows.")
    return flows


def _flow(flows: Mapping[str, Any], flow_id: str) -> Mapping[str, Any]:
    flow = flows.get(flow_id)
    if not isinstance(flow, Mapping) or not isinstance(flow.get("nodes"), Mapping):
        raise SnapshotError(f"The flow {flow_id!r} is not in the snapshot.")
    return flow


def _prefill_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return format_value(value)[:MAX_STRING_LENGTH]


def _initial_variables(snapshot: Mapping[str, Any], prefill: Mapping[str, Any] | None) -> dict[str, Any]:
    declared = snapshot.get("variables") or {}
    variables = dict(declared)
    for name, value in (prefill or {}).items():
        if name in declared:
            variables[name] = _prefill_value(value)
    return variables
