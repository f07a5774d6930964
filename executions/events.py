"""The chat path's side of domain events: which sessions' bots someone listens to, read with
the session row, and the INSERT of a turn's events into the outbox, sent with the turn's other
writes (integrations.events has the rest)."""

from collections.abc import Iterable

from django.db import connections

from chatbots.models import Chatbot
from executions import hotpath
from executions.models import ChatSession
from integrations.events import subscribed_sql
from integrations.models import OutboxEvent


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
