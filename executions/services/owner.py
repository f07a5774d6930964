"""What a bot's owner does to a session."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from executions.exceptions import SessionClosed
from executions.models import ChatSession
from executions.services.retention import session_results_forget
from flows.models import FlowExecution
from integrations.events import event_record


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
