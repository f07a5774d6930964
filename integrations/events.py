"""Domain events, written to the outbox (OutboxEvent) in the transaction that caused them.

The chat path adds its events to the turn's single batch of writes (executions); other callers
(publishing) write them here with `event_record`. Delivery happens later, in the delivery
worker (`integrations.delivery`), never inside a chat turn.

Events are written only for a chatbot that an active webhook or integration of its owner
covers (the bot's own or an owner-wide one), whatever their event types: the worker still
matches types, and a bot nobody listens to writes no outbox rows at all.
"""

from django.db import connections
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.dispatch import receiver

from chatbots.models import Chatbot
from chatbots.signals import chatbot_published
from integrations.models import Integration, OutboxEvent, Webhook
from integrations.worker import deliveries_kick


def subscribed_sql(connection, *, chatbot: str, owner: str) -> str:
    """A boolean SQL expression: is the chatbot `chatbot` (an SQL expression for its id), whose
    owner is `owner` (one for the owner's id), covered by an active webhook or integration?
    Takes no parameters, so it can join any precompiled statement."""
    quote = connection.ops.quote_name

    def covered_by(model) -> str:
        meta = model._meta
        table = quote(meta.db_table)

        def column(name: str) -> str:
            return f"{table}.{quote(meta.get_field(name).column)}"

        return (
            f"EXISTS (SELECT 1 FROM {table} WHERE {column('owner')} = {owner} AND {column('is_active')} "  # noqa: S608 (quoted model identifiers)
            f"AND ({column('chatbot')} IS NULL OR {column('chatbot')} = {chatbot}))"
        )

    return f"({covered_by(Webhook)} OR {covered_by(Integration)})"


def chatbot_subscribed(using: str = "default") -> RawSQL:
    """`subscribed_sql` for a query on Chatbot (an annotation)."""
    connection = connections[using]
    table = connection.ops.quote_name(Chatbot._meta.db_table)
    sql = subscribed_sql(
        connection,
        chatbot=f"{table}.{connection.ops.quote_name(Chatbot._meta.pk.column)}",
        owner=f"{table}.{connection.ops.quote_name(Chatbot._meta.get_field('owner').column)}",
    )
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611 (quoted model identifiers, no input)


def event_record(chatbot_id: int, event_type: str, data: dict, *, urgent: bool = False) -> bool:
    """Write one event to the outbox, in the caller's transaction, if anyone subscribes to the
    chatbot's events; returns whether it was written. (The chat path batches its events into
    the turn's writes instead; this is for the owner's actions.)"""
    subscribed = Chatbot.objects.filter(pk=chatbot_id).annotate(subscribed=chatbot_subscribed())
    if not subscribed.values_list("subscribed", flat=True).first():
        return False
    OutboxEvent.objects.create(chatbot_id=chatbot_id, type=event_type, data=data)
    deliveries_kick(urgent=urgent)
    return True


@receiver(chatbot_published, dispatch_uid="integrations_outbox_chatbot_published")
def _on_chatbot_published(sender, *, chatbot, version, **kwargs) -> None:
    # Runs inside the publishing transaction: the event exists exactly when the version does.
    event_record(
        chatbot.pk,
        "chatbot.published",
        {"chatbot_id": chatbot.pk, "version": version.number, "changelog": version.changelog},
        urgent=True,
    )
