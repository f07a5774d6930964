"""The public chat: start a session, answer its pending input, read it back.

A turn holds no lock and no transaction while it computes or waits. It reads the session row
(no lock), runs the pure runner in memory, and stores everything the turn produced with one
compare-and-swap write on the session's turn counter (`persistence.store_turn`): all of it, or
nothing when another request stored a turn of the session first (then it reads again and runs
again, or refuses a stale reply).

An `http_request` node stops the turn: the turn so far is stored with an intent for the call
(an idempotency key and a lease), the call is made with no transaction open, and the next write
stores its outcome and what the turn did after it. A request that finds a call under way
answers 409 with Retry-After; one that finds a call whose lease ran out (its request died)
makes the call again, with the same key, and finishes the turn. Emails are queued with the
turn's write and sent after it commits by the delivery worker.

A reply costs a fixed number of queries whatever the flow's size or the conversation's length:
one read and one write.
"""

import math
import random
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from chatbots.models import Chatbot, ChatbotVersion
from components.catalog import INPUT_TYPES
from executions.exceptions import (
    ChatbotUnavailable,
    NotAnInput,
    SessionBusy,
    SessionClosed,
    SessionExpired,
    StaleInput,
)
from executions.http_node import call_timeout
from executions.integrations import email_composer, http_node_call
from executions.models import ChatMessage, ChatSession
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
from executions.selectors import session_id_parse
from executions.services.display import answer_display
from executions.services.payload import turn_payload
from executions.services.persistence import SwapLost, snapshot_node_type, store_turn, turn_row_read
from executions.services.retention import session_results_forget
from executions.services.snapshots import session_snapshot, snapshot_for_version
from executions.services.turnlog import turn_note
from executions.services.uploads import upload_resolve
from executions.services.visitors import ip_hash, origin_check
from integrations.events import chatbot_subscribed

# How long past a call's own timeout its intent stays claimed (the request making it is alive).
CALL_LEASE_GRACE_SECONDS = 5
# Re-reads and re-runs of a reply that keeps losing the swap to other replies of its session.
MAX_SWAP_ATTEMPTS = 5


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
    SwapLost when the first write loses the swap (nothing of this turn is stored, no call
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
            rows += store_turn(session, result, snapshot=snapshot, intent=intent, **extras)
        except SwapLost:
            if not rows and extras is first_write:
                raise
            raise SessionBusy("This conversation was continued by another request; reload it.") from None
        actions += result.actions
        if call is None:
            if session.status != ChatSession.Status.ACTIVE and not session.save_results:
                session_results_forget(session.pk)
            turn_note(session_status=session.status)
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
    snapshot = session_snapshot(session)
    state = _session_state(session)
    claim = TurnResult(state=state, call=pending_call(snapshot, state))
    try:
        return _advance(session, snapshot, claim, key=call.get("key"), attempt=int(call.get("attempt") or 1) + 1)
    except SwapLost:
        raise SessionBusy("Another request is resuming this conversation; retry shortly.") from None


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
    origin_check(chatbot.behavior.get("allowed_origins") or [], origin)
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
    turn_note(chatbot_id=chatbot.pk, session_id=str(session.id), preview=preview)
    session.started_at = timezone.now()
    session.subscribed = subscribed
    session.debug_logging = preview or bool(behavior.get("debug_logging"))
    session.save_results = behavior.get("save_results", True) is not False
    result = run_start(snapshot, context=_context(session), variables=variables)
    events = [("session.started", {"session_id": str(session.id), "chatbot_id": chatbot.pk})]
    return _advance(session, snapshot, result, created=True, events=events)


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
    uuid = session_id_parse(session_id)
    for _ in range(MAX_SWAP_ATTEMPTS):
        session = turn_row_read(uuid)
        turn_note(chatbot_id=session.chatbot_id, session_id=str(session.id), session_status=session.status)
        origin_check(session.allowed_origins, origin)
        _check_open(session)
        if (session.state or {}).get("call"):
            return _call_resume(session)
        snapshot = session_snapshot(session)
        if node_id is not None and node_id != session.pending_node_id:
            raise _not_pending(snapshot, node_id)
        state = _session_state(session)
        pending_input = session.state.get("input")
        resolved = upload_resolve(session, value)  # a file answer names an upload of this session
        result = run_reply(snapshot, state, resolved, context=_context(session, counters=state.counters))
        answer = result.answer
        user_text = (
            answer_display(answer.raw, answer.parsed if answer.valid else None, pending_input) if answer else None
        )
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
        except SwapLost:
            continue
    raise SessionBusy("This conversation is receiving other replies at the same time; retry shortly.")


def _idle_too_long(session: ChatSession) -> bool:
    return timezone.now() - session.last_activity_at > timedelta(minutes=session.timeout_minutes)


def _not_pending(snapshot: dict, node_id: str) -> Exception:
    """Why a reply naming `node_id` is refused: it names no input at all (400), or an input
    that is not the pending one — a double submit or a stale tab (409)."""
    node_type = snapshot_node_type(snapshot, node_id)
    if not node_type:
        return NotAnInput(f"This chatbot has no node {node_id!r}; name the pending input (or leave node_id out).")
    if node_type not in INPUT_TYPES:
        return NotAnInput(
            f"Node {node_id!r} is a {node_type} node, not an input; name the pending input (or leave node_id out)."
        )
    return StaleInput("This input was already answered; the conversation has moved on.")


def session_read(session_id: str, *, origin: str | None = None) -> tuple[dict, int | None]:
    """The session's Turn (no new messages), its pending input and the whole transcript; and,
    while an HTTP call of its turn is under way, the seconds until it is worth asking again
    (else None). A turn whose call was left unfinished (the request making it died) is
    finished first, making the call again with the same idempotency key. The page asking must
    be one the bot may be embedded on (OriginNotAllowed), as for start and reply."""
    session = turn_row_read(session_id_parse(session_id))
    turn_note(chatbot_id=session.chatbot_id, session_id=str(session.id), session_status=session.status)
    origin_check(session.allowed_origins, origin)
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
