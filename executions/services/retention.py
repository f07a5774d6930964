"""How long chat data stays: sessions idle too long expire, and a bot that keeps no results
(`behavior.save_results` off) keeps nothing of a session once it has ended."""

from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from executions.models import ChatMessage, ChatSession, ChatUpload, ExecutionLog, UserInput
from integrations.models import OutgoingEmail


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
