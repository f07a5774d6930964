"""What handlers see and return. `Turn` accumulates one turn's output; the engine owns it and
turns it into a `TurnResult`. Handlers only touch it through its methods and `variables`."""

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from executions.runner.state import BotMessage, LogEntry, RunContext
from executions.runner.templating import render

MAX_DETAIL_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the snapshot. `data` and `next` are the snapshot's own dicts (shared by every
    session through the snapshot cache): read them, never change them."""

    id: str
    type: str
    data: Mapping[str, Any]
    next: Mapping[str, str]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.data.get(key, default)
        return default if value is None else value


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where to go after a non-blocking node: follow `handle` (the default), or `goto` a node of
    this flow, or enter `flow`, or `end` the conversation, or fail the session with `error`, or
    stop the turn at this node for a side effect (`call`; the handler's `complete` takes the
    outcome when the turn resumes)."""

    handle: str | None = "next"
    goto: str | None = None
    flow: str | None = None
    return_after: bool = False
    end: bool = False
    error: str | None = None
    call: bool = False


NEXT = Outcome()
END = Outcome(handle=None, end=True)
CALL = Outcome(handle=None, call=True)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid answer: what to store and which handle to follow."""

    value: Any
    handle: str = "next"


def call_arguments(node: "Node", variables: Mapping[str, Any]) -> tuple[str, dict[str, Any], Mapping[str, Any]]:
    """What a side effect gets: the node id, a private copy of its raw config (a side effect
    renders templates the way its protocol needs) and a read-only view of the variables."""
    return node.id, copy.deepcopy(dict(node.data)), MappingProxyType(dict(variables))


def summarize(value: Any) -> Any:
    """A value small enough for a log's details."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_DETAIL_LENGTH else text[:MAX_DETAIL_LENGTH] + "…"


class Turn:
    """One turn's working state: a private copy of the variables and counters, and the bot
    messages, client actions, logs and composed emails emitted so far."""

    __slots__ = (
        "_debugged",
        "_notes",
        "actions",
        "context",
        "counters",
        "emails",
        "logs",
        "messages",
        "regex_work",
        "variables",
    )

    def __init__(self, context: RunContext, variables: Mapping, counters: Mapping) -> None:
        self.context = context
        self.variables: dict[str, Any] = dict(variables)
        self.counters: dict[str, int] = dict(counters)
        self.messages: list[BotMessage] = []
        self.actions: list[dict[str, Any]] = []
        self.logs: list[LogEntry] = []
        self.emails: list[Mapping[str, Any]] = []
        self._debugged: set[str] = set()
        self._notes: dict[str, tuple[str, dict[str, Any]]] = {}
        # Regular-expression work done this turn (see handlers.condition): bounded per turn.
        self.regex_work = 0

    @property
    def now(self) -> datetime:
        now = self.context.now
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)

    def render(self, text: Any) -> str:
        return render(text, self.variables)

    def say(self, message: BotMessage) -> None:
        self.messages.append(message)

    def say_text(self, node: Node, text: str) -> None:
        self.messages.append(BotMessage(node_id=node.id, type="text", text=text))

    def act(self, action: Mapping[str, Any]) -> None:
        """A client action; `message_index` tells the client how many of this turn's messages
        come before it."""
        self.actions.append({**action, "message_index": len(self.messages)})

    def wants(self, level: str) -> bool:
        levels = self.context.log_levels
        return levels is None or level in levels

    def keep(self, entry: LogEntry) -> None:
        """Add a log entry, unless its level is not kept (RunContext.log_levels)."""
        if self.wants(entry.level):
            self.logs.append(entry)

    def log(self, node: Node, level: str, message: str, details: Mapping | None = None, duration_ms: int = 0) -> None:
        if not self.wants(level):
            return
        self.logs.append(
            LogEntry(
                node_id=node.id,
                node_type=node.type,
                level=level,
                message=message,
                details=details or {},
                duration_ms=duration_ms,
            )
        )

    def debug(self, node: Node, message: str, **details: Any) -> None:
        """At most one debug entry per node and turn (a loop must not flood the log). While
        tracing, the note goes into the node's trace entry instead (`trace`)."""
        if self.context.trace:
            self._notes[node.id] = (message, {key: summarize(value) for key, value in details.items()})
            return
        if node.id in self._debugged or not self.wants("debug"):
            return
        self._debugged.add(node.id)
        self.log(node, "debug", message, {key: summarize(value) for key, value in details.items()})

    def trace(self, node: Node, started: float, **details: Any) -> None:
        """With `RunContext.trace`: the one debug entry of this execution of `node`, timed from
        `started` (a `time.perf_counter()` reading), with the handler's debug note if any."""
        if not self.context.trace:
            return
        micros = max(0, int((time.perf_counter() - started) * 1_000_000))
        message, noted = self._notes.pop(node.id, (f"Ran the {node.type} node.", {}))
        self.logs.append(
            LogEntry(
                node_id=node.id,
                node_type=node.type,
                level="debug",
                message=message,
                details={**noted, **{key: summarize(value) for key, value in details.items()}, "duration_us": micros},
                duration_ms=micros // 1000,
            )
        )

    def warn(self, node: Node, message: str, **details: Any) -> None:
        self.log(node, "warning", message, {key: summarize(value) for key, value in details.items()})

    def error(self, node: Node, message: str, **details: Any) -> None:
        self.log(node, "error", message, {key: summarize(value) for key, value in details.items()})
