"""The runner's contracts: frozen, JSON round-trippable values that go in and come out of a turn.

Mappings are stored as read-only `MappingProxyType` views over private copies, so a state or a
result cannot be changed after it is built; `to_dict()` returns plain dicts and lists for JSON.
"""

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from executions.runner.errors import StateError

ACTIVE = "active"
COMPLETED = "completed"
FAILED = "failed"
STATUSES = frozenset({ACTIVE, COMPLETED, FAILED})
LOG_LEVELS = frozenset({"debug", "info", "warning", "error"})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(mapping: Mapping | None) -> Mapping:
    if not mapping:
        return _EMPTY
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class Frame:
    """Where to continue in the caller when a linked flow (entered with `return_after`) ends."""

    flow_id: str
    return_node: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"flow_id": self.flow_id, "return_node": self.return_node}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Frame":
        try:
            return_node = data.get("return_node")
            return cls(flow_id=str(data["flow_id"]), return_node=None if return_node is None else str(return_node))
        except (KeyError, TypeError, AttributeError) as exc:
            raise StateError(f"Malformed stack frame: {data!r}") from exc


@dataclass(frozen=True, slots=True)
class CallPoint:
    """Where a turn stopped for a side effect: the node whose outcome it waits for, and how
    many non-blocking nodes the turn had executed by then (the step limit spans the pause)."""

    node_id: str
    steps: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "steps": self.steps}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CallPoint":
        try:
            return cls(node_id=str(data["node_id"]), steps=int(data.get("steps") or 0))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"Malformed call point: {data!r}") from exc


@dataclass(frozen=True, slots=True)
class SessionState:
    """Where a session is. While `status` is active, either `node_id` is the pending input, or
    `call` is the side effect the turn stopped at (`node_id` is then None)."""

    status: str
    flow_id: str
    node_id: str | None
    variables: Mapping[str, Any]
    stack: tuple[Frame, ...] = ()
    counters: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    call: CallPoint | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise StateError(f"Unknown session status {self.status!r}.")
        object.__setattr__(self, "variables", _frozen(self.variables))
        object.__setattr__(self, "stack", tuple(self.stack))
        object.__setattr__(self, "counters", _frozen(self.counters))

    @property
    def awaiting_input(self) -> bool:
        return self.status == ACTIVE and self.node_id is not None

    @property
    def awaiting_call(self) -> bool:
        return self.status == ACTIVE and self.call is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "flow_id": self.flow_id,
            "node_id": self.node_id,
            "variables": dict(self.variables),
            "stack": [frame.to_dict() for frame in self.stack],
            "counters": dict(self.counters),
            "call": self.call.to_dict() if self.call else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SessionState":
        try:
            node_id = data.get("node_id")
            call = data.get("call")
            return cls(
                status=data["status"],
                flow_id=str(data["flow_id"]),
                node_id=None if node_id is None else str(node_id),
                variables=dict(data.get("variables") or {}),
                stack=tuple(Frame.from_dict(frame) for frame in data.get("stack") or ()),
                counters={str(k): int(v) for k, v in (data.get("counters") or {}).items()},
                call=CallPoint.from_dict(call) if call else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"Malformed session state: {exc}") from exc


@dataclass(frozen=True, slots=True)
class BotMessage:
    """A bot bubble. Text carries `text`; media (image, video, audio, embed) carry `url` and
    the type's options in `extra` (alt/link, height, autoplay). The service adds the `id`."""

    node_id: str
    type: str
    text: str | None = None
    url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", _frozen(self.extra))

    def to_dict(self) -> dict[str, Any]:
        if self.type == "text":
            return {"node_id": self.node_id, "type": "text", "text": self.text or ""}
        return {"node_id": self.node_id, "type": self.type, "url": self.url or "", **self.extra}


@dataclass(frozen=True, slots=True)
class InputRequest:
    """The pending input as the chat client needs it (the Turn's `input`, docs/chat-api.md)."""

    node_id: str
    type: str
    options: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    choices: tuple[Mapping[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _frozen(self.options))
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(_frozen(choice) for choice in self.choices))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"node_id": self.node_id, "type": self.type, "options": dict(self.options)}
        if self.choices is not None:
            data["choices"] = [dict(choice) for choice in self.choices]
        return data


@dataclass(frozen=True, slots=True)
class LogEntry:
    node_id: str
    node_type: str
    level: str
    message: str
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    duration_ms: int = 0

    def __post_init__(self) -> None:
        if self.level not in LOG_LEVELS:
            raise ValueError(f"Unknown log level {self.level!r}.")
        object.__setattr__(self, "details", _frozen(self.details))

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "node_type": self.node_type,
            "level": self.level,
            "message": self.message,
            "details": dict(self.details),
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The visitor's answer to the pending input: `raw` as received, `parsed` as stored."""

    node_id: str
    variable: str | None
    raw: Any
    parsed: Any
    valid: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "variable": self.variable,
            "raw": self.raw,
            "parsed": self.parsed,
            "valid": self.valid,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class PendingCall:
    """The side effect a turn stopped at (an `http_request` node). The caller performs it with
    no transaction open and resumes the turn with its outcome (`run_resume`). `data` is the
    node's raw, unrendered config (a private copy); `variables` a read-only view of the
    session's variables when the turn stopped."""

    node_id: str
    type: str
    data: Mapping[str, Any]
    variables: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What a side effect gave: the handle to follow (`success` | `failure`), variable updates
    and a log entry describing it."""

    handle: str
    updates: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    log: LogEntry | None = None


@dataclass(frozen=True, slots=True)
class TurnResult:
    """Everything a turn produced. `flow_transitions` lists ("enter" | "exit", flow_id) in
    order: the main flow's enter on start, an exit whenever a flow finishes (dead end, end
    node, or left by a `flow_link` without return). A failed session gets no exits: the
    flows that were open when it failed are the ones still entered. `call` is the side effect
    the turn stopped at (the state's `call` says where), `emails` the emails it composed, to
    be sent after the turn is stored."""

    state: SessionState
    messages: tuple[BotMessage, ...] = ()
    input: InputRequest | None = None
    actions: tuple[Mapping[str, Any], ...] = ()
    logs: tuple[LogEntry, ...] = ()
    answer: Answer | None = None
    flow_transitions: tuple[tuple[str, str], ...] = ()
    call: PendingCall | None = None
    emails: tuple[Mapping[str, Any], ...] = ()

    @property
    def status(self) -> str:
        return self.state.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.to_dict(),
            "messages": [message.to_dict() for message in self.messages],
            "input": self.input.to_dict() if self.input else None,
            "actions": [dict(action) for action in self.actions],
            "logs": [log.to_dict() for log in self.logs],
            "answer": self.answer.to_dict() if self.answer else None,
            "flow_transitions": [list(transition) for transition in self.flow_transitions],
            "call": {"node_id": self.call.node_id, "type": self.call.type} if self.call else None,
            "emails": [dict(email) for email in self.emails],
        }


# (node_id, data, variables) -> (log, email). `data` is the node's raw, unrendered config (a
# private copy); `variables` a read-only view of the session's variables. `email` is the
# message to queue ({to, subject, body, reply_to}), or None (the log then says why not).
EmailComposer = Callable[[str, Mapping[str, Any], Mapping[str, Any]], tuple[LogEntry, Mapping[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a turn may use besides the snapshot and state. The runner does no I/O: an
    `http_request` node stops the turn (`TurnResult.call`), and emails are composed by the
    injected `compose_email` (None where email is not available) and returned, not sent.
    `log_levels` names the log levels worth building entries for (None: all of them). With
    `trace`, every node the turn executes gets one debug entry with its timing (the handler's
    own debug note folded in), whatever `log_levels` says."""

    session_id: str
    now: datetime
    rng: random.Random
    max_steps: int = 200
    compose_email: EmailComposer | None = None
    log_levels: frozenset[str] | None = None
    trace: bool = False
