"""Reads of the owner's chat data, scoped to the owner: sessions, their messages, logs, answers
and uploads; results, analytics, dashboards."""

import csv
from collections.abc import Iterator, Mapping
from datetime import timedelta
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from authentication.models import User
from chatbots.models import Chatbot, ChatbotVersion
from executions.exceptions import SessionNotFound
from executions.models import ChatMessage, ChatSession, ChatUpload, ExecutionLog, InputReached, UserInput
from integrations.models import ApiConnection

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def _unread_messages() -> QuerySet:
    """The visitor's messages of the outer session that its owner has not read yet. Each
    session's messages are reached through the (session, seq) index."""
    return ChatMessage.objects.filter(
        session=OuterRef("pk"), sender=ChatMessage.Sender.USER, read_at__isnull=True
    ).order_by()


def sessions_with_unread(sessions: QuerySet) -> QuerySet:
    """`sessions` annotated with `unread_count`: visitor messages the owner has not read. A
    preview's messages are the owner's own, so a preview has none."""
    count = _unread_messages().values("session").annotate(n=Count("pk")).values("n")
    return sessions.annotate(
        unread_count=Case(
            When(is_preview=True, then=Value(0)),
            default=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
            output_field=IntegerField(),
        )
    )


def sessions_owned(*, user: User) -> QuerySet[ChatSession]:
    """Sessions of the user's chatbots (previews included), each with `unread_count`; the
    drafts they ran and their runner state are left unread."""
    sessions = ChatSession.objects.filter(chatbot__owner=user).select_related("chatbot", "version")
    return sessions_with_unread(sessions.defer("preview_snapshot", "state"))


def sessions_owned_with_flows(*, user: User) -> QuerySet[ChatSession]:
    """`sessions_owned`, each with its flow runs."""
    return sessions_owned(user=user).prefetch_related("flow_executions")


def session_transcript(session: ChatSession) -> QuerySet[ChatMessage]:
    """The session's messages, oldest first."""
    return ChatMessage.objects.filter(session=session).order_by("seq")


def messages_owned(*, user: User) -> QuerySet[ChatMessage]:
    return ChatMessage.objects.filter(session__chatbot__owner=user)


def logs_owned(*, user: User) -> QuerySet[ExecutionLog]:
    return ExecutionLog.objects.filter(session__chatbot__owner=user)


def inputs_owned(*, user: User) -> QuerySet[UserInput]:
    return UserInput.objects.filter(session__chatbot__owner=user)


def upload_get_owned(*, user: User, pk: int) -> ChatUpload | None:
    """A file a visitor uploaded in a session of the user's chatbots, or None."""
    return ChatUpload.objects.filter(pk=pk, session__chatbot__owner=user).first()


def sessions_unread(sessions: QuerySet, unread: bool) -> QuerySet:
    """Only the sessions with (or, `unread` false, without) unread visitor messages."""
    condition = Q(Exists(_unread_messages()), is_preview=False)
    return sessions.filter(condition) if unread else sessions.exclude(condition)


def _stored_sessions(chatbot: Chatbot, started_after, started_before) -> QuerySet:
    """The chatbot's sessions started in [started_after, started_before), previews left out:
    what results and analytics count."""
    sessions = ChatSession.objects.filter(chatbot=chatbot, is_preview=False)
    if started_after is not None:
        sessions = sessions.filter(started_at__gte=started_after)
    if started_before is not None:
        sessions = sessions.filter(started_at__lt=started_before)
    return sessions


def results_sessions(
    chatbot: Chatbot, *, started_after=None, started_before=None, status: str | None = None
) -> QuerySet:
    """Sessions of a chatbot for its results: previews and sessions of a bot that keeps no results
    (`behavior.save_results` off when they started) left out, newest first."""
    sessions = _stored_sessions(chatbot, started_after, started_before).filter(save_results=True)
    if status:
        sessions = sessions.filter(status=status)
    return sessions.order_by("-started_at", "-id").only("id", "status", "started_at", "completed_at", "variables")


def result_row(session: ChatSession) -> dict:
    return {
        "session_id": str(session.id),
        "status": session.status,
        "started_at": session.started_at,
        "completed_at": session.completed_at,
        "answers": session.variables,
    }


def results_columns(chatbot: Chatbot) -> list[str]:
    """Every variable any published version declared, in first-seen order (the CSV columns)."""
    columns: dict[str, None] = {}
    variables = ChatbotVersion.objects.filter(chatbot=chatbot).order_by("number")
    for names in variables.values_list("snapshot__variable_order", flat=True):
        for name in names or []:
            columns.setdefault(name, None)
    return list(columns)


def _csv_safe(value) -> str:
    """Spreadsheet formula injection: a cell that starts like a formula is prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ", ".join("" if v is None else str(v) for v in value)
    elif isinstance(value, dict):
        import json

        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def results_csv(chatbot: Chatbot, sessions: QuerySet) -> Iterator[str]:
    """Rows of CSV text, one session at a time (constant memory for any number of sessions)."""
    columns = results_columns(chatbot)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(["session_id", "status", "started_at", "completed_at", *columns])
    for session in sessions.iterator(chunk_size=1000):
        variables = session.variables or {}
        yield writer.writerow(
            [
                str(session.id),
                session.status,
                session.started_at.isoformat(),
                session.completed_at.isoformat() if session.completed_at else "",
                *(_csv_safe(variables.get(name)) for name in columns),
            ]
        )


def chatbot_analytics(chatbot: Chatbot, *, started_after=None, started_before=None) -> dict:
    """Exact figures from stored sessions (previews excluded): starts, completions, and per
    input how many sessions were shown it (`reached`) and answered it validly (`answered`)."""
    sessions = _stored_sessions(chatbot, started_after, started_before)
    totals = sessions.aggregate(starts=Count("id"), completions=Count("id", filter=Q(status="completed")))
    reached = dict(
        InputReached.objects.filter(session__in=sessions)
        .values("node_id")
        .annotate(n=Count("session", distinct=True))
        .values_list("node_id", "n")
    )
    answered = dict(
        UserInput.objects.filter(session__in=sessions, is_valid=True)
        .values("node_id")
        .annotate(n=Count("session", distinct=True))
        .values_list("node_id", "n")
    )
    order = _input_order(chatbot)
    node_ids = order + sorted(set(reached) - set(order))
    starts, completions = totals["starts"], totals["completions"]
    return {
        "starts": starts,
        "completions": completions,
        "completion_rate": round(completions / starts, 4) if starts else 0.0,
        "inputs": [
            {
                "node_id": node_id,
                "reached": reached.get(node_id, 0),
                "answered": answered.get(node_id, 0),
                "dropped": reached.get(node_id, 0) - answered.get(node_id, 0),
            }
            for node_id in node_ids
        ],
    }


def _input_order(chatbot: Chatbot) -> list[str]:
    """Input nodes of the live version, flow by flow, in the order the builder placed them."""
    from components.catalog import INPUT_TYPES

    if not chatbot.live_version_id:
        return []
    snapshot = ChatbotVersion.objects.values_list("snapshot", flat=True).get(pk=chatbot.live_version_id)
    main = snapshot.get("main_flow")
    flows = sorted(snapshot.get("flows", {}).items(), key=lambda item: (item[0] != main, int(item[0])))
    return [
        node_id
        for _, flow in flows
        for node_id in flow.get("node_order", [])
        if flow["nodes"][node_id].get("type") in INPUT_TYPES
    ]


def sessions_stats(sessions: QuerySet, *, extra: Mapping[str, Aggregate] | None = None) -> dict:
    """Figures over `sessions`, in one query; `extra` adds aggregates to it under their names."""
    figures = sessions.aggregate(
        **(extra or {}),
        total=Count("id"),
        active=Count("id", filter=Q(status="active")),
        completed=Count("id", filter=Q(status="completed")),
        failed=Count("id", filter=Q(status="failed")),
        expired=Count("id", filter=Q(status="expired")),
        messages=Sum("message_count"),
        average_duration=Avg("duration"),
        average_messages=Avg("message_count"),
    )
    total = figures["total"]
    duration = figures["average_duration"]
    return {
        **figures,
        "messages": figures["messages"] or 0,
        "average_duration_seconds": round(duration.total_seconds(), 1) if duration else None,
        "average_messages": round(figures["average_messages"], 1) if figures["average_messages"] else 0,
        "completion_rate": round(figures["completed"] / total, 4) if total else 0.0,
    }


def owner_dashboard(user: User) -> dict:
    now = timezone.now()
    sessions = ChatSession.objects.filter(chatbot__owner=user, is_preview=False)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stats = sessions_stats(
        sessions,
        extra={
            "today": Count("id", filter=Q(started_at__gte=today)),
            "last_7_days": Count("id", filter=Q(started_at__gte=now - timedelta(days=7))),
            "last_30_days": Count("id", filter=Q(started_at__gte=now - timedelta(days=30))),
        },
    )
    busiest = (
        Chatbot.objects.filter(owner=user)
        .annotate(
            sessions_30d=Count(
                "sessions",
                filter=Q(sessions__is_preview=False, sessions__started_at__gte=now - timedelta(days=30)),
            )
        )
        .filter(sessions_30d__gt=0)
        .order_by("-sessions_30d", "name")
        .values("id", "name", "sessions_30d")[:5]
    )
    return {
        "sessions": {key: stats[key] for key in ("today", "last_7_days", "last_30_days", "total")},
        "completion_rate": stats["completion_rate"],
        "messages": stats["messages"],
        "average_duration_seconds": stats["average_duration_seconds"],
        "chatbots": Chatbot.objects.filter(owner=user).count(),
        "busiest_chatbots": list(busiest),
    }


def api_connection_of_session(*, pk: int, session_id: str, chatbot_id: int | None = None) -> ApiConnection | None:
    """API connection `pk` if it belongs to the owner of the session's chatbot, in one query: by
    the chatbot when known (a session's first turn runs before its row exists), else by the session."""
    owner = (
        {"owner__chatbots__id": chatbot_id} if chatbot_id is not None else {"owner__chatbots__sessions__id": session_id}
    )
    try:
        return ApiConnection.objects.filter(pk=pk, **owner).first()
    except (ValueError, ValidationError):  # a session id that is not a UUID
        return None


# --- A session, for the public chat ---------------------------------------------------------------


def session_id_parse(session_id: str) -> UUID:
    """A session id from a URL as a UUID; SessionNotFound when it is not one."""
    try:
        return UUID(str(session_id))
    except ValueError as exc:
        raise SessionNotFound("No such session.") from exc


def session_get(session_id: str, *fields: str) -> ChatSession:
    """The session with only `fields` loaded; raises SessionNotFound for unknown or malformed ids."""
    session = ChatSession.objects.filter(pk=session_id_parse(session_id)).only(*fields).first()
    if session is None:
        raise SessionNotFound("No such session.")
    return session
