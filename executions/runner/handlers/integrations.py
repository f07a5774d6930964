"""Nodes with side effects: `http_request` and `send_email`. The runner does no I/O.

- `http_request` stops the turn (`Outcome.call`): the caller stores the turn so far, makes the
  request with no transaction open, and resumes the turn with the outcome (`complete`).
- `send_email` hands the node's raw config (a private copy) and a read-only view of the
  variables to the injected composer, and keeps the composed email in the turn: it is queued
  with the turn's writes and sent after they commit, so a turn that is never stored sends none.

Whatever the composer returns or raises becomes logs and routing: a failing integration never
crashes the flow.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

from components.templating import VARIABLE_NAME_RE
from executions.runner.registry import register
from executions.runner.state import CallOutcome, LogEntry
from executions.runner.turn import CALL, NEXT, Node, Outcome, Turn, call_arguments

HTTP_HANDLES = frozenset({"success", "failure"})
EMAILS_SENT = "emails_sent"


def _record(node: Node, turn: Turn, log: Any) -> LogEntry | None:
    """Keep an integration's log, stamped with this node."""
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
    """Stops the turn for the request; then follows `success` or `failure` as the outcome says
    and applies its variable updates."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        return CALL

    def complete(self, node: Node, turn: Turn, outcome: Any) -> Outcome:
        if not isinstance(outcome, CallOutcome):
            turn.error(node, "The HTTP integration returned no outcome; following `failure`.")
            return Outcome(handle="failure")
        _record(node, turn, outcome.log)
        if outcome.handle not in HTTP_HANDLES:
            turn.error(
                node, f"The HTTP integration returned an unknown outcome {outcome.handle!r}; following `failure`."
            )
            return Outcome(handle="failure")
        updates = outcome.updates
        ignored = []
        for name, value in updates.items() if isinstance(updates, Mapping) else ():
            if isinstance(name, str) and VARIABLE_NAME_RE.match(name):
                turn.variables[name] = value
            else:
                ignored.append(name)
        if ignored:
            turn.warn(node, "Some response values were not stored: invalid variable names.", names=ignored)
        return Outcome(handle=outcome.handle)


@register("send_email")
class SendEmail:
    """Always continues with `next`. `counters["emails_sent"]` counts the emails composed for
    sending (the per-session limit counts them)."""

    def execute(self, node: Node, turn: Turn) -> Outcome:
        compose = turn.context.compose_email
        if compose is None:
            turn.warn(node, "Sending email is not available here; no email was sent.")
            return NEXT
        try:
            log, email = compose(*call_arguments(node, turn.variables))
        except Exception as exc:  # the flow must go on whatever the integration does
            turn.error(node, f"The email was not sent: {type(exc).__name__}: {str(exc)[:200]}")
            return NEXT
        _record(node, turn, log)
        if isinstance(email, Mapping):
            turn.emails.append({"node_id": node.id, **email})
            turn.counters[EMAILS_SENT] = turn.counters.get(EMAILS_SENT, 0) + 1
        return NEXT
