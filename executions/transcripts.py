"""The owner reading a session's transcript: the visitor's messages become read."""

from django.utils import timezone

from executions.models import ChatMessage, ChatSession


def messages_mark_read(session: ChatSession) -> int:
    """Mark every unread visitor message of `session` read now; returns how many. One UPDATE
    (autocommit): replies being written meanwhile only insert rows, so nothing waits on it."""
    return ChatMessage.objects.filter(session=session, sender=ChatMessage.Sender.USER, read_at__isnull=True).update(
        read_at=timezone.now()
    )
