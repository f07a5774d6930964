"""The `send_email` node: composing (`executions.integrations.email_composer`), called directly,
and queueing and sending through the public chat API and the delivery worker, with Django's
in-memory email backend."""

import json
import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

import pytest

from components.catalog import COMPONENT_TYPES
from executions import hotpath, services
from executions.integrations import email_composer
from executions.models import ChatSession, ExecutionLog
from integrations.delivery import deliver_due, email_message
from integrations.models import OutgoingEmail
from tests.factories import edge, node, published_bot

pytestmark = pytest.mark.django_db

FAILING_BACKEND = "tests.executions.test_send_email_node.FailingBackend"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: ana@example.com")


@pytest.fixture(autouse=True)
def _email_settings(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Bot <bot@builder.test>"
    settings.SEND_EMAIL_MAX_PER_SESSION = 3


def config(**data) -> dict:
    return {**COMPONENT_TYPES["send_email"].defaults(), **data}


def sender(*, emails_sent: int = 0):
    """Composes with the node's rules and sends what was composed at once; returns the log."""
    compose = email_composer("session-1", emails_sent=emails_sent)

    def send(node_id: str, data: dict, variables: dict):
        log, email = compose(node_id, data, variables)
        if email is not None:
            email_message(email).send()
        return log

    return send


def send(data: dict, variables: dict | None = None, *, emails_sent: int = 0):
    return sender(emails_sent=emails_sent)("mail", config(**data), variables or {})


def logged(log) -> str:
    return json.dumps(log.to_dict(), ensure_ascii=False)


VARIABLES = {"name": "Ana", "email": "ana@example.com", "team": "sales@example.com; Ops@Example.com", "n": 2.0}


def test_to_subject_body_and_reply_to_are_rendered_and_sent():
    log = send(
        {
            "to": "{{team}}, boss@example.com",
            "subject": "New lead: {{name}} ({{n}})",
            "body": "Name: {{name}}\nEmail: {{email}}\nUnset: [{{nothing}}]",
            "reply_to": "{{email}}",
        },
        VARIABLES,
    )
    (message,) = mail.outbox
    assert message.to == ["sales@example.com", "Ops@Example.com", "boss@example.com"]
    assert message.subject == "New lead: Ana (2)"
    assert message.body == "Name: Ana\nEmail: ana@example.com\nUnset: []"
    assert message.reply_to == ["ana@example.com"]
    assert message.from_email == "Bot <bot@builder.test>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert log.level == "info"
    assert log.node_type == "send_email"
    assert log.message == "Email queued for 3 recipients."
    assert log.details == {
        "recipient_count": 3,
        "recipients": ["s***@example.com", "O***@Example.com", "b***@example.com"],
        "reply_to": "a***@example.com",
    }


def test_full_addresses_never_appear_in_the_log():
    log = send({"to": "{{email}}", "subject": "Hi", "reply_to": "{{email}}"}, VARIABLES)
    assert len(mail.outbox) == 1
    assert "ana@example.com" not in logged(log)
    assert log.message == "Email queued for 1 recipient."


def test_duplicate_recipients_get_one_copy():
    send({"to": "a@example.com, A@example.com;a@example.com"})
    assert mail.outbox[0].to == ["a@example.com"]


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.com", "Hello\nBcc: victim@example.com", "Hello\rX"])
def test_line_breaks_are_stripped_from_the_subject(subject):
    log = send({"to": "ops@example.com", "subject": "{{s}}"}, {"s": subject})
    assert log.level == "info"
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject == " ".join(subject.splitlines())
    assert message.bcc == []
    assert "Bcc" not in message.message()


@pytest.mark.parametrize(
    "to",
    [
        "not-an-email",
        "ops@example.com, nope",
        "ops@example.com\nBcc: victim@example.com",
        "Ops <ops@example.com>",
        "{{email}}",
    ],
)
def test_an_invalid_recipient_is_an_error_and_nothing_is_sent(to):
    log = send({"to": to, "subject": "Hi"}, {"email": "ana@@example.com"})
    assert mail.outbox == []
    assert log.level == "error"
    assert log.message == "Email not sent: invalid recipient address."
    assert "victim@example.com" not in logged(log)


@pytest.mark.parametrize("to", ["{{unset}}", " , ; ", "{{blank}}"])
def test_no_recipient_after_rendering_is_an_error(to):
    log = send({"to": to}, {"blank": "   "})
    assert mail.outbox == []
    assert (log.level, log.message) == ("error", "Email not sent: no recipient.")


def test_more_than_ten_recipients_is_an_error():
    log = send({"to": ",".join(f"user{i}@example.com" for i in range(11))})
    assert mail.outbox == []
    assert log.level == "error"
    assert log.details == {"recipient_count": 11}
    send({"to": ",".join(f"user{i}@example.com" for i in range(10))})
    assert len(mail.outbox[0].to) == 10


def test_an_invalid_reply_to_is_left_out_with_a_warning():
    log = send({"to": "ops@example.com", "reply_to": "{{email}}"}, {"email": "not valid"})
    (message,) = mail.outbox
    assert message.reply_to == []
    assert log.level == "warning"
    assert log.details["reply_to_invalid"] == "n***"


def test_the_limit_per_session_counts_earlier_turns_and_this_one():
    send_one = sender(emails_sent=1)
    logs = [send_one("mail", config(to="ops@example.com"), {}) for _ in range(3)]
    assert [log.level for log in logs] == ["info", "info", "error"]
    assert logs[2].message == "Email not sent: limit reached (3 per conversation)."
    assert len(mail.outbox) == 2


def test_nothing_is_sent_once_the_session_reached_the_limit(settings):
    settings.SEND_EMAIL_MAX_PER_SESSION = 2
    log = send({"to": "ops@example.com"}, emails_sent=2)
    assert mail.outbox == []
    assert (log.level, log.details) == ("error", {"limit": 2})


def test_emails_that_were_not_composed_do_not_count_toward_the_limit(settings):
    settings.SEND_EMAIL_MAX_PER_SESSION = 1
    send_one = sender()
    assert send_one("mail", config(to="nope"), {}).level == "error"
    assert send_one("mail", config(to="ops@example.com"), {}).level == "info"
    assert send_one("mail", config(to="ops@example.com"), {}).level == "error"
    assert len(mail.outbox) == 1


# --- Through the public chat API ----------------------------------------------------------------


def start(client, bot):
    return client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")


def reply(client, session_id, value):
    return client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json")


def email_graph() -> dict:
    """start -> notify (mail to the owner) -> email input -> confirm (mail to the visitor) -> thanks -> end."""
    return {
        "nodes": [
            node("start", "start"),
            node("notify", "send_email", to="owner@example.com", subject="A visitor started"),
            node("email", "email_input", prompt="Your email?", variable="email"),
            node(
                "confirm",
                "send_email",
                to="{{email}}",
                subject="Thanks\n{{email}}",
                body="We will write to {{email}}.",
                reply_to="owner@example.com",
            ),
            node("thanks", "message", text="Thanks!"),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "notify"),
            edge("notify", "email"),
            edge("email", "confirm"),
            edge("confirm", "thanks"),
            edge("thanks", "end"),
        ],
        "variables": [{"name": "email", "default": None}],
    }


def test_chat_queues_templated_emails_and_the_worker_sends_them_after_the_turn(api_client, user):
    bot = published_bot(owner=user, graph=email_graph())
    session_id = start(api_client, bot).json()["session_id"]
    assert mail.outbox == []  # nothing leaves inside a turn
    assert OutgoingEmail.objects.filter(session_id=session_id, status="pending").count() == 1
    deliver_due()
    assert [m.subject for m in mail.outbox] == ["A visitor started"]
    response = reply(api_client, session_id, "Visitor@Example.com")
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["messages"]] == ["Thanks!"]
    deliver_due()
    confirm = mail.outbox[1]
    assert confirm.to == ["visitor@example.com"]
    assert confirm.subject == "Thanks visitor@example.com"
    assert confirm.body == "We will write to visitor@example.com."
    assert confirm.reply_to == ["owner@example.com"]
    assert confirm.extra_headers["Auto-Submitted"] == "auto-generated"
    session = ChatSession.objects.get(pk=session_id)
    assert session.state["counters"]["emails_sent"] == 2
    assert set(OutgoingEmail.objects.filter(session=session).values_list("status", flat=True)) == {"sent"}
    logs = ExecutionLog.objects.filter(session=session, node_type="send_email").order_by("id")
    assert [(log.node_id, log.level, log.message) for log in logs] == [
        ("notify", "info", "Email queued for 1 recipient."),
        ("notify", "info", "Email sent to 1 recipient."),
        ("confirm", "info", "Email queued for 1 recipient."),
        ("confirm", "info", "Email sent to 1 recipient."),
    ]
    assert "visitor@example.com" not in json.dumps(list(logs.values("message", "details")))
    deliver_due()
    assert len(mail.outbox) == 2  # each email is sent once


def test_chat_enforces_the_limit_across_turns(api_client, user, settings):
    settings.SEND_EMAIL_MAX_PER_SESSION = 1
    bot = published_bot(owner=user, graph=email_graph())
    session_id = start(api_client, bot).json()["session_id"]
    response = reply(api_client, session_id, "visitor@example.com")
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    deliver_due()
    assert [m.subject for m in mail.outbox] == ["A visitor started"]
    log = ExecutionLog.objects.get(node_id="confirm")
    assert (log.level, log.message) == ("error", "Email not sent: limit reached (1 per conversation).")


def test_a_failing_mail_server_gets_retries_then_the_email_is_given_up_with_a_log(api_client, user, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    settings.WEBHOOK_RETRY_DELAYS = [0, 0]
    bot = published_bot(owner=user, graph=email_graph())
    response = start(api_client, bot)
    assert response.status_code == 201
    assert response.json()["input"]["node_id"] == "email"  # the chat goes on
    deliver_due()
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts, email.last_error) == ("pending", 1, "SMTPServerDisconnected")
    deliver_due()
    deliver_due()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("dead", 3)
    log = ExecutionLog.objects.filter(node_id="notify").order_by("id").last()
    assert (log.level, log.message) == (
        "error",
        "Email not sent: the mail server refused or failed 3 times (SMTPServerDisconnected).",
    )
    assert "ana@example.com" not in json.dumps(log.details)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver_due()
    assert mail.outbox == []  # a dead email stays dead


def test_a_turn_that_is_not_stored_sends_no_email(api_client, user, monkeypatch):
    bot = published_bot(owner=user, graph=email_graph())
    session_id = start(api_client, bot).json()["session_id"]
    deliver_due()
    assert len(mail.outbox) == 1

    def failing_execute(writes, **kwargs):
        raise RuntimeError("the database went away after the email node ran")

    monkeypatch.setattr(hotpath, "execute", failing_execute)
    with pytest.raises(RuntimeError):
        services.session_reply(session_id, value="visitor@example.com")
    monkeypatch.undo()
    assert OutgoingEmail.objects.filter(node_id="confirm").count() == 0
    deliver_due()
    assert len(mail.outbox) == 1  # only the first turn's email
    session = ChatSession.objects.get(pk=session_id)
    assert (session.pending_node_id, session.state["counters"]["emails_sent"]) == ("email", 1)
