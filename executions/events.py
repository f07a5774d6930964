"""Domain events, written to the outbox (OutboxEvent) in the transaction that caused them.

The chat path adds its events to the turn's single batch of writes; other callers (publishing)
write them directly. Delivery happens later, in the webhook worker, never inside a chat turn.
"""

from collections.abc import Iterable

from django.dispatch import receiver

from chatbots.signals import chatbot_published
from executions import hotpath
from executions.models import OutboxEvent

EVENT_TYPES = ("session.started", "input.received", "session.completed", "chatbot.published")


def events_statement(chatbot_id: int, events: Iterable[tuple[str, dict]], *, now=None):
    """One INSERT of the given (type, data) events for a chatbot, or None when there are none."""
    rows = [{"chatbot_id": chatbot_id, "type": event_type, "data": data} for event_type, data in events]
    return hotpath.insert_rows(OutboxEvent, rows, now=now)


@receiver(chatbot_published, dispatch_uid="executions_outbox_chatbot_published")
def _on_chatbot_published(sender, *, chatbot, version, **kwargs) -> None:
    # Runs inside the publishing transaction: the event exists exactly when the version does.
    from executions.webhooks import deliveries_kick

    OutboxEvent.objects.create(
        chatbot=chatbot,
        type="chatbot.published",
        data={"chatbot_id": chatbot.pk, "version": version.number, "changelog": version.changelog},
    )
    deliveries_kick(urgent=True)
