"""Adapters for the injected side effects (`RunContext.http`, `RunContext.send_email`).

The runner never does I/O: these handlers hand the node's raw config (a private copy; the
callable renders templates the way its protocol needs, e.g. JSON-escaping a body) and a
read-only view of the variables to the callable, and turn whatever comes back, or whatever it
raises, into logs and routing. A failing integration never crashes the flow.
"""

import copy
import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from components.templating import VARIABLE_NAME_RE
from executions.runner.registry import register
from executions.runner.state import LogEntry
from executions.runner.turn import NEXT, Node, Outcome, Turn

HTTP_HANDLES = frozenset({"success", "failure"})
EMAILS_SENT = "emails_sent"


def _arguments(node: Node, turn: Turn) -> tuple[str, dict[str, Any], Mapping[str, Any]]:
    return node.id, copy.deepcopy(dict(node.data)), MappingProxyType(dict(turn.variables))


def _record(node: Node, turn: Turn, log: Any) -> LogEntry | None:
    """Keep the callable's log, stamped with this node."""
    if isinstance(log, Mapping):
        try:
            log = LogEntry(**{"node_id": node.id, "node_type": node.type, **log})
        except (TypeError, ValueError):
            turn.error(node, "The integration returned a malformed log entry.")
            return None
    if not isinstance(log, LogEntry):
        return None
    log = dataclasses.replace(log, node_id=node.id, node_type=node.type)
    turn.keep(log)
    return log


@register("http_request")
class HttpRequest:
    """Follows `success` or `failure` as the callable says; applies its variable updates."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        call = turn.context.http
        if call is None:
            turn.warn(node, "HTTP requests are not available here; following `failure`.")
            return Outcome(handle="failure")
        try:
            handle, updates, log = call(*_arguments(node, turn))
        except Exception as exc:  # the flow must go on whatever the integration does
            turn.error(node, f"The HTTP request failed: {type(exc).__name__}: {str(exc)[:200]}")
            return Outcome(handle="failure")
        _record(node, turn, log)
        if handle not in HTTP_HANDLES:
            turn.error(node, f"The HTTP integration returned an unknown outcome {handle!r}; following `failure`.")
            return Outcome(handle="failure")
        ignored = []
        for name, value in (updates or {}).items() if isinstance(updates, Mapping) else ():
            if isinstance(name, str) and VARIABLE_NAME_RE.match(name):
                turn.variables[name] = value
            else:
                ignored.append(name)
        if ignored:
            turn.warn(node, "Some response values were not stored: invalid variable names.", names=ignored)
        return Outcome(handle=handle)


@register("send_email")
class SendEmail:
    """Always continues with `next`. `counters["emails_sent"]` counts the calls that returned
    without raising and without an error-level log."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        call = turn.context.send_email
        if call is None:
            turn.warn(node, "Sending email is not available here; no email was sent.")
            return NEXT
        try:
            log = call(*_arguments(node, turn))
        except Exception as exc:  # the flow must go on whatever the integration does
            turn.error(node, f"The email was not sent: {type(exc).__name__}: {str(exc)[:200]}")
            return NEXT
        recorded = _record(node, turn, log)
        if recorded is None or recorded.level != "error":
            turn.counters[EMAILS_SENT] = turn.counters.get(EMAILS_SENT, 0) + 1
        return NEXT
