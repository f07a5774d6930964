"""The precompiled SQL of the chat turn (executions.hotpath) stores exactly what the ORM would.

The same conversation runs twice on the same bot: once as the product runs it, once with every
hotpath function replaced by its plain-ORM meaning (bulk_create, QuerySet.update, a filtered
UPDATE for the compare-and-swap, a transaction around them, an ORM read with an Exists for the
subscription flag). Every row either run stored — the session, messages, answers, logs, inputs
reached, flow runs, queued emails, outbox events — must be the same, apart from ids and times.
Runs on SQLite and on PostgreSQL (where the hot path sends one statement of CTEs)."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

import pytest
from rest_framework.test import APIClient

from executions import hotpath
from executions.models import ChatMessage, ChatSession, ExecutionLog, InputReached, UserInput
from flows.models import FlowExecution
from integrations.models import Integration, OutboxEvent, OutgoingEmail, Webhook
from integrations.services import webhook_create
from tests.factories import edge, linked_flows_bot, node

pytestmark = pytest.mark.django_db

# Ids and times differ between two runs by nature; everything else must not.
VOLATILE = {
    "id",
    "session_id",
    "created_at",
    "reached_at",
    "started_at",
    "ended_at",
    "last_activity_at",
    "completed_at",
    "duration",
    "next_attempt_at",
}


def everything_bot(owner):
    """A published two-flow bot whose conversation writes to every table a turn writes to: bubbles,
    a text input, a variable set, an email queued, a flow_link into a flow with an email input
    (answered wrongly first), a choice, the end."""

    def main(sub_flow_id: int) -> dict:
        return {
            "nodes": [
                node("start", "start"),
                node("hello", "message", text="Hello!"),
                node("name", "text_input", prompt="Your name?", variable="name"),
                node("greet", "set_variable", variable="greeting", value="Hi {{name}}"),
                node("notify", "send_email", to="team@example.com", subject="New lead {{name}}", body="{{greeting}}"),
                node("link", "flow_link", flow=sub_flow_id),
                node(
                    "news",
                    "choice",
                    prompt="Newsletter?",
                    variable="news",
                    options=[{"id": "yes", "label": "Yes please", "value": "y"}, {"id": "no", "label": "No"}],
                ),
                node("bye", "message", text="{{greeting}}, we'll write to {{email}}."),
                node("end", "end"),
            ],
            "edges": [
                edge("start", "hello"),
                edge("hello", "name"),
                edge("name", "greet"),
                edge("greet", "notify"),
                edge("notify", "link"),
                edge("link", "news"),
                edge("news", "bye", "yes"),
                edge("news", "bye", "default"),
                edge("bye", "end"),
            ],
            "variables": [{"name": n, "default": None} for n in ("name", "greeting", "email", "news")],
        }

    bot = linked_flows_bot(owner, main_graph=main)
    # Someone listens to the bot's events, so the turns write outbox rows too.
    webhook_create(owner, url="https://hooks.example.com/lead", events=["session.started", "input.received"])
    return bot


def converse(bot) -> tuple[str, list[dict]]:
    """Start a chat and answer every input (one answer refused); returns the session id and the
    Turns the visitor got."""
    client = APIClient()
    turn = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()
    session_id = turn["session_id"]
    turns = [turn]
    for value in ("Ada", "not an email", "ada@example.com", "yes"):
        turns.append(client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}).json())
    assert turns[-1]["status"] == "completed", turns[-1]
    return session_id, turns


def _scrub(value, session_id: str):
    if isinstance(value, dict):
        return {key: _scrub(item, session_id) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_scrub(item, session_id) for item in value]
    if isinstance(value, str):
        return value.replace(session_id, "<session>")
    return value


def stored(session_id: str) -> dict[str, list]:
    """Every row the conversation stored, table by table, in the order it was stored."""
    rows = {
        "session": list(ChatSession.objects.filter(pk=session_id).values()),
        "messages": list(ChatMessage.objects.filter(session_id=session_id).order_by("seq").values()),
        "answers": list(UserInput.objects.filter(session_id=session_id).order_by("id").values()),
        "logs": list(ExecutionLog.objects.filter(session_id=session_id).order_by("id").values()),
        "inputs reached": list(InputReached.objects.filter(session_id=session_id).order_by("id").values()),
        "flow runs": list(FlowExecution.objects.filter(session_id=session_id).order_by("id").values()),
        "emails": list(OutgoingEmail.objects.filter(session_id=session_id).order_by("subject").values()),
        "events": [
            event
            for event in OutboxEvent.objects.order_by("created_at", "type").values()
            if event["data"].get("session_id") == session_id
        ],
    }
    return {table: _scrub(found, session_id) for table, found in rows.items()}


# --- The ORM's meaning of each hotpath function -------------------------------------------------


def orm_insert_rows(model, rows, *, ignore_conflicts=False, now=None, using="default") -> Callable | None:
    if not rows:
        return None
    objects = [model(**row) for row in rows]
    return lambda: model.objects.using(using).bulk_create(objects, ignore_conflicts=ignore_conflicts)


def orm_update_where(queryset, **values) -> Callable:
    return lambda: queryset.update(**values)


def orm_swap_statement(obj, names, *, counter: str, using="default") -> Callable:
    values = {name: getattr(obj, name) for name in names}
    read = getattr(obj, counter)
    model = type(obj)
    return lambda: (
        model.objects.using(using).filter(pk=obj.pk, **{counter: read}).update(**values, **{counter: F(counter) + 1})
    )


def orm_execute(writes, *, swap=None, using="default") -> bool:
    with transaction.atomic(using=using):
        if swap is not None and swap() != 1:
            return False
        for write in writes:
            if write is not None:
                write()
    return True


def _covered_by(model) -> Exists:
    return Exists(
        model.objects.filter(owner=OuterRef("chatbot__owner"), is_active=True).filter(
            Q(chatbot__isnull=True) | Q(chatbot=OuterRef("chatbot"))
        )
    )


def orm_select_one(model, pk, names, *, flags=None, using="default"):
    assert model is ChatSession and flags is not None  # the one read a turn makes
    return (
        model.objects.using(using)
        .filter(pk=pk)
        .only(*names)
        .annotate(subscribed=_covered_by(Webhook) | _covered_by(Integration))
        .first()
    )


@pytest.fixture
def through_the_orm(monkeypatch):
    """Within `with through_the_orm():`, every hotpath function is its ORM equivalent; returns
    how many times each was called."""
    calls: dict[str, int] = {}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return function(*args, **kwargs)

        return wrapper

    replacements = {
        "insert_rows": orm_insert_rows,
        "update_where": orm_update_where,
        "swap_statement": orm_swap_statement,
        "execute": orm_execute,
        "select_one": orm_select_one,
    }

    class Context:
        def __enter__(self):
            self.patch = monkeypatch.context()
            patcher = self.patch.__enter__()
            for name, function in replacements.items():
                patcher.setattr(hotpath, name, counted(name, function))
            return calls

        def __exit__(self, *exc):
            return self.patch.__exit__(*exc)

    return Context


def test_a_conversation_stores_the_same_rows_through_the_hot_path_as_through_the_orm(user, through_the_orm):
    bot = everything_bot(user)
    hot_id, hot_turns = converse(bot)
    with through_the_orm() as calls:
        orm_id, orm_turns = converse(bot)
    assert set(calls) == {"insert_rows", "update_where", "swap_statement", "execute", "select_one"}

    hot, orm = stored(hot_id), stored(orm_id)
    assert all(hot.values()), {table: len(found) for table, found in hot.items()}  # nothing compared is empty
    for table in hot:
        assert orm[table] == hot[table], table
    assert _scrub(orm_turns, orm_id) == _scrub(hot_turns, hot_id)


def test_a_lost_swap_writes_nothing_through_the_hot_path_and_through_the_orm(user, through_the_orm):
    bot = everything_bot(user)
    outcomes = {}
    for path in ("hot", "orm"):
        session_id, _ = converse(bot)
        session = ChatSession.objects.get(pk=session_id)
        before = stored(session_id)
        session.turn -= 1  # read before the last turn was stored
        session.message_count += 1
        row = {"session_id": session.pk, "seq": session.message_count, "sender": "bot", "node_id": "", "content": {}}

        def attempt(session=session, row=row):
            return hotpath.execute(
                [hotpath.insert_rows(ChatMessage, [row])],
                swap=hotpath.swap_statement(session, ["message_count"], counter="turn"),
            )

        if path == "orm":
            with through_the_orm():
                swapped = attempt()
        else:
            swapped = attempt()
        outcomes[path] = (swapped, stored(session_id) == before)
    assert outcomes == {"hot": (False, True), "orm": (False, True)}
