"""The chat path: start a session, answer its pending input, read it back.

These wrap the pure runner (`executions.runner`): load the snapshot (cached per process by
version id, as versions never change), lock the session row, run one turn, and persist the
new state, messages, answer and logs in one transaction. A reply costs a fixed number of
queries whatever the flow's size or the conversation's length.
"""

import hashlib
import hmac
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from chatbots.models import Chatbot, ChatbotVersion
from executions import hotpath
from executions.events import chatbot_subscribed, events_statement, session_subscribed_sql
from executions.exceptions import (
    ChatbotUnavailable,
    OriginNotAllowed,
    SessionClosed,
    SessionExpired,
    SessionNotFound,
    StaleInput,
)
from executions.integrations import email_sender, http_caller
from executions.models import ChatMessage, ChatSession, ExecutionLog, InputReached, UserInput
from executions.runner import RunContext, SessionState, TurnResult, run_reply, run_start
from executions.uploads import upload_resolve
from executions.webhooks import deliveries_kick
from flows.models import FlowExecution

# --- Snapshots ------------------------------------------------------------------------------

_SNAPSHOTS: "OrderedDict[UUID, tuple[dict, int]]" = OrderedDict()  # uid -> (snapshot, JSON bytes)
_SNAPSHOTS_LOCK = threading.Lock()
_snapshots_bytes = 0


def snapshot_for_version(version_uid: UUID) -> dict:
    """The immutable snapshot of a version, from this process's cache (no query when cached).

    Keyed by the version's uid, which is never reused, so an entry can never go stale. The
    cache holds at most SNAPSHOT_CACHE_SIZE snapshots and SNAPSHOT_CACHE_MB of them (as JSON),
    least recently used out first."""
    global _snapshots_bytes
    with _SNAPSHOTS_LOCK:
        entry = _SNAPSHOTS.get(version_uid)
        if entry is not None:
            _SNAPSHOTS.move_to_end(version_uid)
            return entry[0]
    snapshot = ChatbotVersion.objects.values_list("snapshot", flat=True).get(uid=version_uid)
    size = len(json.dumps(snapshot, separators=(",", ":")))
    budget = settings.SNAPSHOT_CACHE_MB * 1024 * 1024
    if size > budget:
        return snapshot  # used for this turn, never kept: one bot must not empty the cache for all
    with _SNAPSHOTS_LOCK:
        if version_uid not in _SNAPSHOTS:
            _SNAPSHOTS[version_uid] = (snapshot, size)
            _snapshots_bytes += size
        while _SNAPSHOTS and (len(_SNAPSHOTS) > settings.SNAPSHOT_CACHE_SIZE or _snapshots_bytes > budget):
            _, (_, dropped) = _SNAPSHOTS.popitem(last=False)
            _snapshots_bytes -= dropped
    return snapshot


def snapshot_cache_usage() -> tuple[int, int]:
    """(snapshots, JSON bytes) held by this process's snapshot cache."""
    with _SNAPSHOTS_LOCK:
        return len(_SNAPSHOTS), _snapshots_bytes


# --- Helpers --------------------------------------------------------------------------------


def ip_hash(ip: str | None) -> str:
    """A salted hash of the visitor's IP: counts distinct visitors without storing addresses."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _context(session_id: str, *, chatbot_id: int, counters: Mapping[str, int] | None = None) -> RunContext:
    # Side effects (HTTP requests, email) are bound to the session here; the runner stays pure.
    return RunContext(
        session_id=session_id,
        now=timezone.now(),
        rng=random.SystemRandom(),
        max_steps=settings.RUNNER_MAX_STEPS,
        http=http_caller(session_id, chatbot_id=chatbot_id),
        send_email=email_sender(session_id, emails_sent=(counters or {}).get("emails_sent", 0)),
        # The runner builds log entries only for the levels kept, so every entry it returns is stored.
        log_levels=frozenset(settings.EXECUTION_LOG_LEVELS),
    )


def _check_origin(allowed: list[str], origin: str | None) -> None:
    if origin and allowed and origin.rstrip("/") not in allowed:
        raise OriginNotAllowed("This chatbot cannot be embedded on this site.")


def _display(answer_raw: Any, answer_parsed: Any, pending_input: dict | None) -> str:
    """What the visitor's bubble shows for an answer: choice labels, a file's name, the value."""
    choices = (pending_input or {}).get("choices")
    if choices and answer_parsed is not None:
        picked = answer_raw if isinstance(answer_raw, list) else [answer_raw]
        labels = []
        for item in picked:
            text = str(item).strip().lower()
            match = next(
                (c for c in choices if text in (str(c.get("id", "")).lower(), str(c.get("label", "")).lower())), None
            )
            labels.append(match["label"] if match else str(item))
        return ", ".join(labels)
    value = answer_parsed if answer_parsed is not None else answer_raw
    if isinstance(value, dict):
        if "start" in value and "end" in value:
            return f"{value['start']} – {value['end']}"
        return str(value.get("name") or value.get("url") or "")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


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


def _persist_turn(
    session: ChatSession,
    result: TurnResult,
    *,
    snapshot: dict,
    user_text: str | None = None,
    answered_node: str = "",
    created: bool = False,
    events=(),
    subscribed: bool = False,
) -> list[dict]:
    """Write what a turn produced: the session row, messages, answer, logs, reached inputs,
    flow runs and, when someone subscribes to the bot's events (`subscribed`), its events.
    The caller holds the session's lock (or has just created it)."""
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
    }
    session.last_activity_at = now
    rows = _message_rows(session, result, user_text=user_text, node_id=answered_node)
    session.message_count += len(rows)
    if state.status != ChatSession.Status.ACTIVE and session.completed_at is None:
        session.completed_at = now
        session.duration = now - session.started_at
    if created:
        row = {field.attname: getattr(session, field.attname) for field in ChatSession._meta.concrete_fields}
        writes = [hotpath.insert_rows(ChatSession, [row], now=now)]
    else:
        writes = [hotpath.update_statement(session, _TURN_FIELDS)]
    writes.append(hotpath.insert_rows(ChatMessage, rows, now=now))
    answer = result.answer
    if answer is not None:
        user_input = {
            "session_id": session.pk,
            "node_id": answer.node_id,
            "node_type": _node_type(snapshot, answer.node_id),
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
    if subscribed and not session.is_preview:
        events = list(events)
        if state.status == ChatSession.Status.COMPLETED:
            events.append(("session.completed", {"session_id": str(session.id), "variables": session.variables}))
        if events:
            writes.append(events_statement(session.chatbot_id, events, now=now))
            deliveries_kick()
    transitions = result.flow_transitions
    if transitions and all(kind == "enter" for kind, _ in transitions):
        writes.append(hotpath.insert_rows(FlowExecution, _flow_runs(session, snapshot, transitions, now=now)))
        transitions = ()
    hotpath.execute(writes)
    if transitions:
        _record_flow_runs(session, snapshot, transitions, now=now)
    if state.status != ChatSession.Status.ACTIVE:
        # The runner records no exits for a failed session: its open flow runs end here.
        ended = FlowExecution.Status.FINISHED if state.status == "completed" else FlowExecution.Status.ABANDONED
        FlowExecution.objects.filter(session=session, status=FlowExecution.Status.RUNNING).update(
            status=ended, ended_at=now
        )
    return rows


_TURN_FIELDS = (
    "variables",
    "status",
    "pending_node_id",
    "state",
    "last_activity_at",
    "message_count",
    "completed_at",
    "duration",
)


def _node_type(snapshot: dict, node_id: str) -> str:
    for flow in snapshot.get("flows", {}).values():
        node = flow.get("nodes", {}).get(node_id)
        if node is not None:
            return node.get("type", "")
    return ""


def _flow_runs(session: ChatSession, snapshot: dict, entered, *, now) -> list[dict]:
    flows = snapshot.get("flows", {})
    return [
        {
            "session_id": session.pk,
            "flow_key": flow_key,
            "flow_name": flows.get(flow_key, {}).get("name", "")[:200],
            "started_at": now,
        }
        for _, flow_key in entered
    ]


def _record_flow_runs(session: ChatSession, snapshot: dict, transitions, *, now) -> None:
    """FlowExecution rows, in order: one per flow entered; an exit closes the latest open run
    of that flow. (A turn that only enters flows adds its rows to the turn's batch instead.)"""
    for kind, flow_key in transitions:
        if kind == "enter":
            hotpath.execute(
                [hotpath.insert_rows(FlowExecution, _flow_runs(session, snapshot, [(kind, flow_key)], now=now))]
            )
        else:
            latest = (
                FlowExecution.objects.filter(session=session, flow_key=flow_key, status=FlowExecution.Status.RUNNING)
                .order_by("-started_at", "-id")
                .values("pk")[:1]
            )
            FlowExecution.objects.filter(pk__in=Subquery(latest)).update(
                status=FlowExecution.Status.FINISHED, ended_at=now
            )


def turn_payload(session: ChatSession, messages: list[dict], actions) -> dict:
    """The CONTRACT §3 Turn; `messages` are the turn's ChatMessage rows."""
    return {
        "session_id": str(session.id),
        "status": session.status,
        "messages": [message_payload(m) for m in messages if m["sender"] == ChatMessage.Sender.BOT],
        "input": session.state["input"] if session.status == ChatSession.Status.ACTIVE else None,
        "actions": [dict(a) for a in actions],
    }


def message_payload(message: dict) -> dict:
    return {"id": f"m{message['seq']}", "node_id": message["node_id"], "type": message["type"], **message["content"]}


# --- Public chat ----------------------------------------------------------------------------


def session_start(
    *,
    public_id: str,
    variables: Mapping[str, Any] | None = None,
    user_agent: str = "",
    referrer: str = "",
    ip: str | None = None,
    origin: str | None = None,
) -> dict:
    """Start a chat with a published chatbot and run it to its first input (or its end).

    Raises ChatbotUnavailable (unknown public id, not published, archived) and OriginNotAllowed.
    """
    found = (
        Chatbot.objects.filter(public_id=public_id, status=Chatbot.Status.PUBLISHED, live_version__isnull=False)
        .select_related("live_version")
        .only("id", "behavior", "owner_id", "live_version__uid", "live_version__chatbot_id")
        .annotate(subscribed=chatbot_subscribed())
        .order_by()[:1]  # public_id is unique: no ordering to compile
    )
    chatbot = next(iter(found), None)
    if chatbot is None:
        raise ChatbotUnavailable("No published chatbot has this id.")
    _check_origin(chatbot.behavior.get("allowed_origins") or [], origin)
    snapshot = snapshot_for_version(chatbot.live_version.uid)
    return _start(
        chatbot,
        snapshot,
        version=chatbot.live_version,
        variables=variables,
        user_agent=user_agent,
        referrer=referrer,
        ip=ip,
        subscribed=chatbot.subscribed,
    )


def session_preview(chatbot: Chatbot, *, snapshot: dict, variables: Mapping[str, Any] | None = None) -> dict:
    """Start a session on a draft snapshot for its owner; kept out of results and analytics."""
    return _start(chatbot, snapshot, version=None, variables=variables, preview=True)


@transaction.atomic
def _start(
    chatbot: Chatbot,
    snapshot: dict,
    *,
    version: ChatbotVersion | None,
    variables: Mapping[str, Any] | None,
    user_agent: str = "",
    referrer: str = "",
    ip: str | None = None,
    preview: bool = False,
    subscribed: bool = False,
) -> dict:
    behavior = chatbot.behavior or {}
    session = ChatSession(
        chatbot_id=chatbot.pk,
        version=version,
        version_uid=version.uid if version else None,
        timeout_minutes=behavior.get("session_timeout_minutes") or 1440,
        allowed_origins=behavior.get("allowed_origins") or [],
        is_preview=preview,
        preview_snapshot=snapshot if preview else None,
        user_agent=user_agent[:500],
        referrer=referrer[:2000],
        ip_hash=ip_hash(ip),
    )
    session.started_at = timezone.now()
    result = run_start(snapshot, context=_context(str(session.id), chatbot_id=chatbot.pk), variables=variables)
    events = [("session.started", {"session_id": str(session.id), "chatbot_id": chatbot.pk})]
    rows = _persist_turn(session, result, snapshot=snapshot, created=True, events=events, subscribed=subscribed)
    return turn_payload(session, rows, result.actions)


def _parse_session_id(session_id: str) -> UUID:
    try:
        return UUID(str(session_id))
    except ValueError as exc:
        raise SessionNotFound("No such session.") from exc


def session_get(session_id: str, *fields: str) -> ChatSession:
    """The session with only `fields` loaded; raises SessionNotFound for unknown or malformed ids."""
    session = ChatSession.objects.filter(pk=_parse_session_id(session_id)).only(*fields).first()
    if session is None:
        raise SessionNotFound("No such session.")
    return session


def session_for_visitor(session_id: str, *fields: str, origin: str | None) -> ChatSession:
    """session_get for a public endpoint: the page calling it must be one the bot may be
    embedded on, as for start and reply (raises OriginNotAllowed)."""
    session = session_get(session_id, "allowed_origins", *fields)
    _check_origin(session.allowed_origins, origin)
    return session


class _IdleTooLong(Exception):
    pass


def session_reply(session_id: str, *, value: Any, node_id: str | None = None, origin: str | None = None) -> dict:
    """Answer the session's pending input and run to the next input or the end.

    Locks the session row for the whole turn: concurrent replies to one session take turns,
    and with `node_id` the second reply to the same input finds it answered (StaleInput).
    Raises SessionNotFound, SessionExpired (idle longer than the bot's timeout), SessionClosed
    (completed or failed), StaleInput, OriginNotAllowed.
    """
    uuid = _parse_session_id(session_id)
    try:
        return _reply(uuid, value=value, node_id=node_id, origin=origin)
    except _IdleTooLong:
        # Recorded after the turn's transaction rolled back, so the expiry sticks.
        ChatSession.objects.filter(pk=uuid, status=ChatSession.Status.ACTIVE).update(status=ChatSession.Status.EXPIRED)
        raise SessionExpired("This conversation has expired; start a new one.") from None


@transaction.atomic
def _reply(uuid: UUID, *, value: Any, node_id: str | None, origin: str | None) -> dict:
    session = hotpath.select_one(ChatSession, uuid, _REPLY_FIELDS, for_update=True, flags=_reply_flags)
    if session is None:
        raise SessionNotFound("No such session.")
    _check_origin(session.allowed_origins, origin)
    idle = timezone.now() - session.last_activity_at
    if session.status == ChatSession.Status.ACTIVE and idle > timedelta(minutes=session.timeout_minutes):
        raise _IdleTooLong()
    if session.status == ChatSession.Status.EXPIRED:
        raise SessionExpired("This conversation has expired; start a new one.")
    if session.status != ChatSession.Status.ACTIVE or not session.pending_node_id:
        raise SessionClosed(f"This conversation is {session.status}; start a new one.")
    if node_id is not None and node_id != session.pending_node_id:
        raise StaleInput("This input was already answered; the conversation has moved on.")

    snapshot = session.preview_snapshot if session.is_preview else snapshot_for_version(session.version_uid)
    state = SessionState.from_dict(
        {
            "status": session.status,
            "flow_id": session.state.get("flow_id"),
            "node_id": session.pending_node_id,
            "variables": session.variables,
            "stack": session.state.get("stack") or [],
            "counters": session.state.get("counters") or {},
        }
    )
    answered_node = session.pending_node_id
    pending_input = session.state.get("input")
    value = upload_resolve(session, value)  # a file answer names an upload of this session
    context = _context(str(session.id), chatbot_id=session.chatbot_id, counters=state.counters)
    result = run_reply(snapshot, state, value, context=context)
    answer = result.answer
    user_text = _display(answer.raw, answer.parsed if answer.valid else None, pending_input) if answer else None
    events = []
    if answer is not None and answer.valid and session.subscribed:
        events.append(
            (
                "input.received",
                {
                    "session_id": str(session.id),
                    "node_id": answer.node_id,
                    "variable": answer.variable,
                    "value": answer.parsed,
                },
            )
        )
    rows = _persist_turn(
        session,
        result,
        snapshot=snapshot,
        user_text=user_text,
        answered_node=answered_node,
        events=events,
        subscribed=session.subscribed,
    )
    return turn_payload(session, rows, result.actions)


def _reply_flags(using: str) -> dict[str, str]:
    return {"subscribed": session_subscribed_sql(using)}


_REPLY_FIELDS = (
    "id",
    "chatbot_id",
    "version_uid",
    "timeout_minutes",
    "allowed_origins",
    "is_preview",
    "preview_snapshot",
    "status",
    "variables",
    "state",
    "pending_node_id",
    "started_at",
    "last_activity_at",
    "completed_at",
    "message_count",
    "duration",
)


def session_read(session_id: str, *, origin: str | None = None) -> dict:
    """The session's Turn (no new messages), its pending input and the whole transcript."""
    session = session_for_visitor(session_id, "id", "status", "state", origin=origin)
    transcript = [
        {
            "id": f"m{m.seq}",
            "sender": m.sender,
            "type": m.type,
            **m.content,
            "node_id": m.node_id,
            "created_at": m.created_at,
        }
        for m in ChatMessage.objects.filter(session_id=session.pk).order_by("seq")
    ]
    return {
        "session_id": str(session.id),
        "status": session.status,
        "messages": [],
        "input": (session.state or {}).get("input") if session.status == ChatSession.Status.ACTIVE else None,
        "actions": [],
        "transcript": transcript,
    }


# --- Owner actions --------------------------------------------------------------------------


@transaction.atomic
def session_finish(session: ChatSession) -> ChatSession:
    """The owner closes an active session (it counts as completed)."""
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise SessionClosed(f"This session is already {session.status}.")
    now = timezone.now()
    session.status = ChatSession.Status.COMPLETED
    session.completed_at = now
    session.duration = now - session.started_at
    session.pending_node_id = ""
    session.save(update_fields=["status", "completed_at", "duration", "pending_node_id"])
    return session


def sessions_expire_idle(*, now=None) -> int:
    """Mark active sessions idle longer than their bot's timeout as expired; returns how many."""
    now = now or timezone.now()
    expired = 0
    candidates = ChatSession.objects.filter(status=ChatSession.Status.ACTIVE).values_list(
        "pk", "timeout_minutes", "last_activity_at"
    )
    stale = [
        pk for pk, minutes, last in candidates.iterator(chunk_size=2000) if now - last > timedelta(minutes=minutes)
    ]
    for start in range(0, len(stale), 1000):
        expired += ChatSession.objects.filter(pk__in=stale[start : start + 1000], status="active").update(
            status=ChatSession.Status.EXPIRED
        )
    return expired
