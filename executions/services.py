"""The chat path: start a session, answer its pending input, read it back.

A turn holds no lock and no transaction while it computes or waits. It reads the session row
(no lock), runs the pure runner in memory, and stores everything the turn produced (state,
messages, answer, logs, reached inputs, events, emails) with one compare-and-swap write on the
session's turn counter (`hotpath.execute`): all of it, or nothing when another request stored a
turn of the session first (then it reads again and runs again, or refuses a stale reply).

An `http_request` node stops the turn: the turn so far is stored with an intent for the call
(an idempotency key and a lease), the call is made with no transaction open, and the next write
stores its outcome and what the turn did after it. A request that finds a call under way
answers 409 with Retry-After; one that finds a call whose lease ran out (its request died)
makes the call again, with the same key, and finishes the turn. Emails are queued with the
turn's write and sent after it commits by the delivery worker.

A reply costs a fixed number of queries whatever the flow's size or the conversation's length:
one read and one write.
"""

import hashlib
import hmac
import json
import math
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from chatbots.models import Chatbot, ChatbotVersion
from chatbots.services import embed_origin_check
from components.catalog import INPUT_TYPES
from executions import hotpath
from executions.events import events_statement, session_subscribed_sql
from executions.exceptions import (
    ChatbotUnavailable,
    NotAnInput,
    SessionBusy,
    SessionClosed,
    SessionExpired,
    SessionNotFound,
    StaleInput,
)
from executions.http_node import call_timeout
from executions.integrations import email_composer, http_node_call
from executions.models import (
    ChatMessage,
    ChatSession,
    ChatUpload,
    ExecutionLog,
    InputReached,
    UserInput,
)
from executions.runner import (
    PendingCall,
    RunContext,
    SessionState,
    TurnResult,
    pending_call,
    run_reply,
    run_resume,
    run_start,
)
from executions.uploads import upload_resolve
from flows.models import FlowExecution
from integrations.events import chatbot_subscribed, event_record
from integrations.models import OutgoingEmail
from integrations.worker import deliveries_kick

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


def _session_snapshot(session: ChatSession) -> dict:
    if session.is_preview:  # the draft it runs is stored on the session; not read on the hot path
        return ChatSession.objects.values_list("preview_snapshot", flat=True).get(pk=session.pk)
    return snapshot_for_version(session.version_uid)


# --- Helpers --------------------------------------------------------------------------------


def ip_hash(ip: str | None) -> str:
    """A salted hash of the visitor's IP: counts distinct visitors without storing addresses."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def _context(session: ChatSession, *, counters: Mapping[str, int] | None = None) -> RunContext:
    session_id = str(session.id)
    return RunContext(
        session_id=session_id,
        now=timezone.now(),
        rng=random.SystemRandom(),
        max_steps=settings.RUNNER_MAX_STEPS,
        compose_email=email_composer(session_id, emails_sent=(counters or {}).get("emails_sent", 0)),
        # The runner builds log entries only for the levels kept, so every entry it returns is
        # stored; a session with debug logging keeps them all, plus one entry per node executed.
        log_levels=None if session.debug_logging else frozenset(settings.EXECUTION_LOG_LEVELS),
        trace=session.debug_logging,
    )


def _check_origin(allowed: list[str], origin: str | None) -> None:
    embed_origin_check(allowed, origin)


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


# --- Storing a turn -------------------------------------------------------------------------


class _SwapLost(Exception):
    """Another request stored a turn of this session after it was read: nothing was written."""


# How long past a call's own timeout its intent stays claimed (the request making it is alive).
CALL_LEASE_GRACE_SECONDS = 5
# Re-reads and re-runs of a reply that keeps losing the swap to other replies of its session.
MAX_SWAP_ATTEMPTS = 5

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


def _store(
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
    (`session.subscribed`), its events. Returns the message rows; raises _SwapLost (nothing
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
    elif hotpath.execute(writes, swap=hotpath.swap_statement(session, _TURN_FIELDS, counter="turn")):
        session.turn += 1
    else:
        raise _SwapLost()
    if emails or events:
        deliveries_kick()
    return rows


def _node_type(snapshot: dict, node_id: str) -> str:
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


def turn_payload(session: ChatSession, messages: list[dict], actions) -> dict:
    """The Turn (docs/chat-api.md); `messages` are the turn's ChatMessage rows."""
    return {
        "session_id": str(session.id),
        "status": session.status,
        "messages": [message_payload(m) for m in messages if m["sender"] == ChatMessage.Sender.BOT],
        "input": session.state["input"] if session.status == ChatSession.Status.ACTIVE else None,
        "actions": [dict(a) for a in actions],
    }


def message_payload(message: dict) -> dict:
    return {"id": f"m{message['seq']}", "node_id": message["node_id"], "type": message["type"], **message["content"]}


# --- Running a turn to its next stop ----------------------------------------------------------


def _intent(call: PendingCall, budget_end: float, *, key: str | None = None, attempt: int = 1) -> dict:
    """The intent stored before a call: its idempotency key and the lease of the request making
    it (the call's timeout, within what is left of the turn's outbound time, plus a grace)."""
    seconds = max(0.0, min(call_timeout(call.data), budget_end - time.monotonic()))
    return {
        "key": key or uuid.uuid4().hex,
        "attempt": attempt,
        "lease_until": time.time() + seconds + CALL_LEASE_GRACE_SECONDS,
    }


def _advance(
    session: ChatSession,
    snapshot: dict,
    result: TurnResult,
    *,
    key: str | None = None,
    attempt: int = 1,
    **first_write: Any,
) -> dict:
    """Store `result`, then make each call it stops at and resume the turn, storing as it goes,
    until an input, the end, or a failure; returns the Turn of everything stored.

    `first_write` goes with the first write (answer display, events, `created`). Raises
    _SwapLost when the first write loses the swap (nothing of this turn is stored, no call
    made); SessionBusy when a later one does (the call's lease ran out and another request took
    the turn over)."""
    rows: list[dict] = []
    actions: list = []
    budget_end = time.monotonic() + settings.CHAT_TURN_OUTBOUND_SECONDS
    extras: dict[str, Any] = first_write
    while True:
        call = result.call
        intent = _intent(call, budget_end, key=key, attempt=attempt) if call is not None else None
        try:
            rows += _store(session, result, snapshot=snapshot, intent=intent, **extras)
        except _SwapLost:
            if not rows and extras is first_write:
                raise
            raise SessionBusy("This conversation was continued by another request; reload it.") from None
        actions += result.actions
        if call is None:
            if session.status != ChatSession.Status.ACTIVE and not session.save_results:
                session_results_forget(session.pk)
            return turn_payload(session, rows, actions)
        outcome = http_node_call(
            str(session.id),
            call.node_id,
            call.data,
            call.variables,
            chatbot_id=session.chatbot_id,
            idempotency_key=intent["key"],
            max_seconds=budget_end - time.monotonic(),
        )
        result = run_resume(snapshot, result.state, outcome, context=_context(session, counters=result.state.counters))
        extras, key, attempt = {}, None, 1


def _session_state(session: ChatSession) -> SessionState:
    state = session.state or {}
    call = state.get("call")
    return SessionState.from_dict(
        {
            "status": session.status,
            "flow_id": state.get("flow_id"),
            "node_id": session.pending_node_id or None,
            "variables": session.variables,
            "stack": state.get("stack") or [],
            "counters": state.get("counters") or {},
            "call": {"node_id": call["node_id"], "steps": call.get("steps", 0)} if call else None,
        }
    )


def _call_resume(session: ChatSession) -> dict:
    """The session's turn stopped at a call. While the request making it is alive (its lease
    runs), answer SessionBusy with the seconds left; once the lease ran out, claim the call
    (same idempotency key, next attempt), make it and finish the turn."""
    call = session.state["call"]
    left = call.get("lease_until", 0) - time.time()
    if left > 0:
        message = "The conversation is waiting for an answer from a service; retry shortly."
        raise SessionBusy(message, retry_after=math.ceil(left))
    snapshot = _session_snapshot(session)
    state = _session_state(session)
    claim = TurnResult(state=state, call=pending_call(snapshot, state))
    try:
        return _advance(session, snapshot, claim, key=call.get("key"), attempt=int(call.get("attempt") or 1) + 1)
    except _SwapLost:
        raise SessionBusy("Another request is resuming this conversation; retry shortly.") from None


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
    session.subscribed = subscribed
    session.debug_logging = preview or bool(behavior.get("debug_logging"))
    session.save_results = behavior.get("save_results", True) is not False
    result = run_start(snapshot, context=_context(session), variables=variables)
    events = [("session.started", {"session_id": str(session.id), "chatbot_id": chatbot.pk})]
    return _advance(session, snapshot, result, created=True, events=events)


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


def _session_read(uuid: UUID) -> ChatSession:
    """The session's row as a turn needs it: one plain read, no lock."""
    session = hotpath.select_one(ChatSession, uuid, _READ_FIELDS, flags=_reply_flags)
    if session is None:
        raise SessionNotFound("No such session.")
    return session


def _check_open(session: ChatSession) -> None:
    """Raises SessionExpired for an expired session (marking it when it just went idle too long)
    and SessionClosed for a completed or failed one."""
    if session.status == ChatSession.Status.ACTIVE:
        if not _idle_too_long(session):
            return
        expired = ChatSession.objects.filter(pk=session.pk, status=ChatSession.Status.ACTIVE, turn=session.turn).update(
            status=ChatSession.Status.EXPIRED, turn=F("turn") + 1
        )
        if expired and not session.save_results:
            session_results_forget(session.pk)
        session.status = ChatSession.Status.EXPIRED
    if session.status == ChatSession.Status.EXPIRED:
        raise SessionExpired("This conversation has expired; start a new one.")
    raise SessionClosed(f"This conversation is {session.status}; start a new one.")


def session_reply(session_id: str, *, value: Any, node_id: str | None = None, origin: str | None = None) -> dict:
    """Answer the session's pending input and run to the next input or the end.

    Holds no lock: of concurrent replies, the first to store its turn wins; the others read the
    session again and run again (with `node_id`, they then find the input answered: StaleInput).
    A reply that finds the session's turn stopped at a call gets SessionBusy while the call is
    under way, or, when the request making it died, finishes that turn (making the call again
    with the same idempotency key) and returns it; its own value is not used.
    Raises SessionNotFound, SessionExpired (idle longer than the bot's timeout), SessionClosed
    (completed or failed), StaleInput, SessionBusy, OriginNotAllowed.
    """
    uuid = _parse_session_id(session_id)
    for _ in range(MAX_SWAP_ATTEMPTS):
        session = _session_read(uuid)
        _check_origin(session.allowed_origins, origin)
        _check_open(session)
        if (session.state or {}).get("call"):
            return _call_resume(session)
        snapshot = _session_snapshot(session)
        if node_id is not None and node_id != session.pending_node_id:
            raise _not_pending(snapshot, node_id)
        state = _session_state(session)
        pending_input = session.state.get("input")
        resolved = upload_resolve(session, value)  # a file answer names an upload of this session
        result = run_reply(snapshot, state, resolved, context=_context(session, counters=state.counters))
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
        try:
            return _advance(
                session, snapshot, result, user_text=user_text, answered_node=state.node_id or "", events=events
            )
        except _SwapLost:
            continue
    raise SessionBusy("This conversation is receiving other replies at the same time; retry shortly.")


def _idle_too_long(session: ChatSession) -> bool:
    return timezone.now() - session.last_activity_at > timedelta(minutes=session.timeout_minutes)


def _not_pending(snapshot: dict, node_id: str) -> Exception:
    """Why a reply naming `node_id` is refused: it names no input at all (400), or an input
    that is not the pending one — a double submit or a stale tab (409)."""
    node_type = _node_type(snapshot, node_id)
    if not node_type:
        return NotAnInput(f"This chatbot has no node {node_id!r}; name the pending input (or leave node_id out).")
    if node_type not in INPUT_TYPES:
        return NotAnInput(
            f"Node {node_id!r} is a {node_type} node, not an input; name the pending input (or leave node_id out)."
        )
    return StaleInput("This input was already answered; the conversation has moved on.")


def _reply_flags(using: str) -> dict[str, str]:
    return {"subscribed": session_subscribed_sql(using)}


_READ_FIELDS = (
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


def session_read(session_id: str, *, origin: str | None = None) -> tuple[dict, int | None]:
    """The session's Turn (no new messages), its pending input and the whole transcript; and,
    while an HTTP call of its turn is under way, the seconds until it is worth asking again
    (else None). A turn whose call was left unfinished (the request making it died) is
    finished first, making the call again with the same idempotency key. The page asking must
    be one the bot may be embedded on (OriginNotAllowed), as for start and reply."""
    session = _session_read(_parse_session_id(session_id))
    _check_origin(session.allowed_origins, origin)
    retry_after = None
    if session.status == ChatSession.Status.ACTIVE and (session.state or {}).get("call"):
        try:
            _call_resume(session)
        except SessionBusy as exc:
            retry_after = exc.retry_after
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
    status = session.status
    if status == ChatSession.Status.ACTIVE and _idle_too_long(session):
        status = ChatSession.Status.EXPIRED  # what a reply would answer (410); a reload starts anew
    payload = {
        "session_id": str(session.id),
        "status": status,
        "messages": [],
        "input": (session.state or {}).get("input") if status == ChatSession.Status.ACTIVE else None,
        "actions": [],
        "transcript": transcript,
    }
    return payload, retry_after


# --- Sessions that keep no results -------------------------------------------------------------


@transaction.atomic
def session_results_forget(session_pk: UUID) -> None:
    """For a bot with `behavior.save_results` off: once a session has ended, keep nothing the
    visitor said or was told (messages, uploads and their files, logs, answer values, variables,
    sent emails) and keep what counts (the session's status and times, which inputs it reached
    and answered validly, its message count)."""
    ChatMessage.objects.filter(session_id=session_pk).delete()
    ExecutionLog.objects.filter(session_id=session_pk).delete()
    ChatUpload.objects.filter(session_id=session_pk).delete()  # their files go after commit
    UserInput.objects.filter(session_id=session_pk).update(raw_value=None, parsed_value=None, error="")
    OutgoingEmail.objects.filter(session_id=session_pk).exclude(status=OutgoingEmail.Status.PENDING).delete()
    ChatSession.objects.filter(pk=session_pk).update(variables={})


def sessions_results_forget_ended() -> int:
    """Forget the results of ended sessions that keep none but still hold some (a process that
    died between a session's end and its forgetting); returns how many."""
    left = ChatSession.objects.filter(save_results=False).exclude(status=ChatSession.Status.ACTIVE)
    left = left.filter(Exists(ChatMessage.objects.filter(session_id=OuterRef("pk"))))
    count = 0
    for pk in left.values_list("pk", flat=True).iterator(chunk_size=500):
        session_results_forget(pk)
        count += 1
    return count


# --- Owner actions --------------------------------------------------------------------------


@transaction.atomic
def session_finish(session: ChatSession) -> ChatSession:
    """The owner closes an active session. It counts as completed, as when the chat reaches its
    end: its running flow runs finish, and `session.completed` (with the variables so far) goes
    to the outbox when a webhook or integration listens to the bot (never for a preview).

    Locks the session row, so a reply in progress finishes first. Raises SessionClosed when the
    session is not active."""
    session = ChatSession.objects.select_for_update().get(pk=session.pk)
    if session.status != ChatSession.Status.ACTIVE:
        raise SessionClosed(f"This session is already {session.status}.")
    now = timezone.now()
    session.status = ChatSession.Status.COMPLETED
    session.completed_at = now
    session.duration = now - session.started_at
    session.pending_node_id = ""
    session.turn = F("turn") + 1  # a reply that read the session before this cannot store its turn
    session.save(update_fields=["status", "completed_at", "duration", "pending_node_id", "turn"])
    session.refresh_from_db(fields=["turn"])
    FlowExecution.objects.filter(session=session, status=FlowExecution.Status.RUNNING).update(
        status=FlowExecution.Status.FINISHED, ended_at=now
    )
    if not session.is_preview:
        event_record(
            session.chatbot_id, "session.completed", {"session_id": str(session.id), "variables": session.variables}
        )
    if not session.save_results:
        session_results_forget(session.pk)
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
        batch = stale[start : start + 1000]
        # The turn moves on, so a reply that read one of these sessions earlier cannot revive it.
        expired += ChatSession.objects.filter(pk__in=batch, status="active").update(
            status=ChatSession.Status.EXPIRED, turn=F("turn") + 1
        )
        forgetful = ChatSession.objects.filter(pk__in=batch, status="expired", save_results=False)
        for pk in forgetful.values_list("pk", flat=True):
            session_results_forget(pk)
    return expired
