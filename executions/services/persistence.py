"""Storing a turn: everything it produced, in one compare-and-swap write (`hotpath.execute`).

A turn reads the session row once (`turn_row_read`, no lock) and stores the session's new
state, its messages, the answer, logs, reached inputs, flow runs, queued emails and, when
someone listens to the bot, its events, in one write that succeeds only if the session's turn
counter still holds the value read: all of it, or nothing (SwapLost).
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import connections
from django.db.models import Subquery
from django.utils import timezone

from chatbots.models import Chatbot
from executions import hotpath
from executions.exceptions import SessionNotFound
from executions.models import ChatMessage, ChatSession, ExecutionLog, InputReached, UserInput
from executions.runner import TurnResult
from flows.models import FlowExecution
from integrations.events import subscribed_sql
from integrations.models import OutboxEvent, OutgoingEmail
from integrations.worker import deliveries_kick


class SwapLost(Exception):
    """Another request stored a turn of this session after it was read: nothing was written."""


TURN_FIELDS = (
    "variables",
    "status",
    "pending_node_id",
    "state",
    "last_activity_at",
    "message_count",
    "completed_at",
    "duration",
)
# The session's fields a turn reads (with `subscribed`: does anyone listen to the bot's events).
READ_FIELDS = (
    "id",
    "chatbot_id",
    "version_uid",
    "timeout_minutes",
    "allowed_origins",
    "is_preview",
    "status",
    "variables",
    "state",
    "pending_node_id",
    "started_at",
    "last_activity_at",
    "completed_at",
    "message_count",
    "duration",
    "turn",
    "debug_logging",
    "save_results",
)


def turn_row_read(uuid: UUID) -> ChatSession:
    """The session's row as a turn needs it: one plain read, no lock."""
    session = hotpath.select_one(ChatSession, uuid, READ_FIELDS, flags=_reply_flags)
    if session is None:
        raise SessionNotFound("No such session.")
    return session


def _reply_flags(using: str) -> dict[str, str]:
    return {"subscribed": session_subscribed_sql(using)}


def session_subscribed_sql(using: str = "default") -> str:
    """`subscribed_sql` for a query on ChatSession (the session's chatbot and its owner)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    bot = f"{quote(ChatSession._meta.db_table)}.{quote(ChatSession._meta.get_field('chatbot').column)}"
    chatbots = quote(Chatbot._meta.db_table)
    owner = (
        f"(SELECT {chatbots}.{quote(Chatbot._meta.get_field('owner').column)} FROM {chatbots} "  # noqa: S608 (quoted model identifiers)
        f"WHERE {chatbots}.{quote(Chatbot._meta.pk.column)} = {bot})"
    )
    return subscribed_sql(connection, chatbot=bot, owner=owner)


def events_statement(chatbot_id: int, events: Iterable[tuple[str, dict]], *, now=None):
    """One INSERT of the given (type, data) events for a chatbot, or None when there are none."""
    rows = [{"chatbot_id": chatbot_id, "type": event_type, "data": data} for event_type, data in events]
    return hotpath.insert_rows(OutboxEvent, rows, now=now)


def store_turn(
    session: ChatSession,
    result: TurnResult,
    *,
    snapshot: dict,
    created: bool = False,
    user_text: str | None = None,
    answered_node: str = "",
    events=(),
    intent: dict | None = None,
) -> list[dict]:
    """Write what a turn produced, in one compare-and-swap write (an INSERT of the session when
    `created`): the session row (with `intent`, the call the turn stopped at), messages, answer,
    logs, reached inputs, flow runs, emails and, when someone subscribes to the bot's events
    (`session.subscribed`), its events. Returns the message rows; raises SwapLost (nothing
    written) when the session's turn counter moved since it was read."""
    now = timezone.now()
    state = result.state
    session.variables = dict(state.variables)
    session.status = state.status
    session.pending_node_id = state.node_id or ""
    session.state = {
        "flow_id": state.flow_id,
        "stack": [frame.to_dict() for frame in state.stack],
        "counters": dict(state.counters),
        "input": result.input.to_dict() if result.input else None,
        "call": {**state.call.to_dict(), **intent} if state.call and intent else None,
    }
    session.last_activity_at = now
    rows = _message_rows(session, result, user_text=user_text, node_id=answered_node)
    session.message_count += len(rows)
    if state.status != ChatSession.Status.ACTIVE and session.completed_at is None:
        session.completed_at = now
        session.duration = now - session.started_at

    writes = [hotpath.insert_rows(ChatMessage, rows, now=now)]
    answer = result.answer
    if answer is not None:
        user_input = {
            "session_id": session.pk,
            "node_id": answer.node_id,
            "node_type": snapshot_node_type(snapshot, answer.node_id),
            "variable": answer.variable or "",
            "raw_value": answer.raw,
            "parsed_value": answer.parsed if answer.valid else None,
            "is_valid": answer.valid,
            "error": (answer.error or "")[:500],
        }
        writes.append(hotpath.insert_rows(UserInput, [user_input], now=now))
    logs = [
        {
            "session_id": session.pk,
            "node_id": log.node_id,
            "node_type": log.node_type,
            "level": log.level,
            "message": log.message[:1000],
            "details": dict(log.details),
            "duration_ms": log.duration_ms,
        }
        for log in result.logs
    ]
    writes.append(hotpath.insert_rows(ExecutionLog, logs, now=now))
    if result.input is not None and (answer is None or answer.valid):
        reached = {"session_id": session.pk, "node_id": result.input.node_id}
        writes.append(hotpath.insert_rows(InputReached, [reached], ignore_conflicts=True, now=now))
    emails = [
        {
            "session_id": session.pk,
            "node_id": email.get("node_id", ""),
            "to": list(email.get("to") or []),
            "subject": email.get("subject") or "",
            "body": email.get("body") or "",
            "reply_to": email.get("reply_to") or "",
            "next_attempt_at": now,
        }
        for email in result.emails
    ]
    writes.append(hotpath.insert_rows(OutgoingEmail, emails, now=now))
    if getattr(session, "subscribed", False) and not session.is_preview:
        events = list(events)
        if state.status == ChatSession.Status.COMPLETED:
            events.append(("session.completed", {"session_id": str(session.id), "variables": session.variables}))
        writes.append(events_statement(session.chatbot_id, events, now=now))
    else:
        events = ()
    writes += _flow_run_writes(session, snapshot, result.flow_transitions, state.status, now=now)

    if created:
        row = {field.attname: getattr(session, field.attname) for field in ChatSession._meta.concrete_fields}
        hotpath.execute([hotpath.insert_rows(ChatSession, [row], now=now), *writes])
        session._state.adding = False
    elif hotpath.execute(writes, swap=hotpath.swap_statement(session, TURN_FIELDS, counter="turn")):
        session.turn += 1
    else:
        raise SwapLost()
    if emails or events:
        deliveries_kick()
    return rows


def _message_rows(session: ChatSession, result: TurnResult, *, user_text: str | None, node_id: str) -> list[dict]:
    """The turn's ChatMessage rows: the visitor's answer as shown, then the bot's messages."""
    rows = []
    seq = session.message_count
    if user_text is not None:
        seq += 1
        rows.append(
            {
                "session_id": session.pk,
                "seq": seq,
                "sender": "user",
                "type": "text",
                "content": {"text": user_text},
                "node_id": node_id,
            }
        )
    for message in result.messages:
        seq += 1
        body = message.to_dict()
        content = {k: v for k, v in body.items() if k not in ("node_id", "type")}
        rows.append(
            {
                "session_id": session.pk,
                "seq": seq,
                "sender": "bot",
                "type": message.type,
                "content": content,
                "node_id": message.node_id,
            }
        )
    return rows


def snapshot_node_type(snapshot: dict, node_id: str) -> str:
    for flow in snapshot.get("flows", {}).values():
        node = flow.get("nodes", {}).get(node_id)
        if node is not None:
            return node.get("type", "")
    return ""


def _flow_run_writes(session: ChatSession, snapshot: dict, transitions, status: str, *, now) -> list:
    """FlowExecution writes for a turn's flow transitions: a run per flow entered; an exit
    finishes the latest open run of that flow (one entered in this turn, else an earlier one);
    when the session ends, every run still open ends with it (finished, or abandoned when the
    session failed: the runner records no exits for a failed session)."""
    ending = status != ChatSession.Status.ACTIVE
    if not transitions and not ending:
        return []
    flows = snapshot.get("flows", {})
    entered: list[dict] = []
    earlier_exits: dict[str, int] = {}
    for kind, flow_key in transitions:
        if kind == "enter":
            entered.append(
                {
                    "session_id": session.pk,
                    "flow_key": flow_key,
                    "flow_name": flows.get(flow_key, {}).get("name", "")[:200],
                    "status": FlowExecution.Status.RUNNING,
                    "started_at": now,
                }
            )
            continue
        run = next((r for r in reversed(entered) if r["flow_key"] == flow_key and r["status"] == "running"), None)
        if run is not None:
            run.update(status=FlowExecution.Status.FINISHED, ended_at=now)
        else:
            earlier_exits[flow_key] = earlier_exits.get(flow_key, 0) + 1
    writes = [hotpath.insert_rows(FlowExecution, entered)]
    running = FlowExecution.objects.filter(session_id=session.pk, status=FlowExecution.Status.RUNNING)
    if ending:
        ended = FlowExecution.Status.FINISHED if status == "completed" else FlowExecution.Status.ABANDONED
        for run in entered:
            if run["status"] == FlowExecution.Status.RUNNING:
                run.update(status=ended, ended_at=now)
        if not session._state.adding:  # a session created by this turn has no earlier runs
            writes.append(hotpath.update_where(running, status=ended, ended_at=now))
        return writes
    for flow_key, count in earlier_exits.items():
        latest = running.filter(flow_key=flow_key).order_by("-started_at", "-id").values("pk")[:count]
        writes.append(
            hotpath.update_where(
                FlowExecution.objects.filter(pk__in=Subquery(latest)),
                status=FlowExecution.Status.FINISHED,
                ended_at=now,
            )
        )
    return writes
