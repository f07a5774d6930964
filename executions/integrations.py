"""The side effects the runner may use (outgoing HTTP, email), bound to one session.

`executions.services` builds a `RunContext` with `http=http_caller(session_id, chatbot_id=...)` and
`send_email=email_sender(session_id, emails_sent=...)`. Both callables never raise: what goes wrong
comes back as a log entry (and, for HTTP, the `failure` handle).
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from executions.http_node import http_caller, http_node_call
from executions.runner.state import EmailCallable, LogEntry
from executions.runner.templating import render

__all__ = ["email_sender", "http_caller", "http_node_call"]

logger = logging.getLogger(__name__)

EMAIL_NODE_TYPE = "send_email"
MAX_RECIPIENTS = 10
MAX_SUBJECT_CHARS = 500
_RECIPIENT_SEPARATORS = re.compile(r"[,;]")


def email_sender(session_id: str, *, emails_sent: int = 0) -> EmailCallable:
    """The `RunContext.send_email` callable for one session.

    `emails_sent` is how many emails the session sent in earlier turns; with the ones this callable
    sends, at most SEND_EMAIL_MAX_PER_SESSION go out per session. Each call renders `to`, `subject`,
    `body` and `reply_to`, validates the addresses (at most 10 recipients) and sends one message
    through Django's configured backend. It returns an error-level log when nothing was sent (limit
    reached, no valid recipient, backend failure), else an info log, or a warning one when an
    invalid `reply_to` was left out. Addresses are logged masked (`a***@example.com`).
    """
    try:
        sent = max(0, int(emails_sent or 0))
    except (TypeError, ValueError):  # a malformed counter must not stop the chat
        sent = 0

    def send(node_id: str, data: Mapping[str, Any], variables: Mapping[str, Any]) -> LogEntry:
        nonlocal sent
        try:
            if sent >= settings.SEND_EMAIL_MAX_PER_SESSION:
                limit = settings.SEND_EMAIL_MAX_PER_SESSION
                return _log(
                    node_id, "error", f"Email not sent: limit reached ({limit} per conversation).", {"limit": limit}
                )
            log, message = _email_build(node_id, data, variables)
            if message is None:
                return log
            try:
                message.send(fail_silently=False)
            except Exception as exc:  # SMTPException, OSError, or whatever a backend raises
                logger.warning("send_email node %s of session %s: backend failed: %r", node_id, session_id, exc)
                return _log(
                    node_id,
                    "error",
                    f"Email not sent: the mail server refused or failed ({type(exc).__name__}).",
                    {**log.details, "error": type(exc).__name__},
                )
            sent += 1
            return log
        except Exception:
            logger.exception("send_email node %s of session %s failed unexpectedly", node_id, session_id)
            return _log(node_id, "error", "Email not sent: unexpected error.", {"error": "unexpected"})

    return send


def _email_build(
    node_id: str, data: Mapping[str, Any], variables: Mapping[str, Any]
) -> tuple[LogEntry, EmailMessage | None]:
    """The message to send and the log to return once it is sent; or an error log and None."""
    recipients, invalid = _recipients(render(data.get("to"), variables))
    if invalid:
        masked = [email_mask(address) for address in invalid]
        return _log(node_id, "error", "Email not sent: invalid recipient address.", {"invalid": masked}), None
    if not recipients:
        return _log(node_id, "error", "Email not sent: no recipient.", {}), None
    if len(recipients) > MAX_RECIPIENTS:
        message = f"Email not sent: {len(recipients)} recipients, at most {MAX_RECIPIENTS} allowed."
        return _log(node_id, "error", message, {"recipient_count": len(recipients)}), None

    # A header is one line: a CR or LF from a variable would start a new header (injection).
    subject = " ".join(render(data.get("subject"), variables).splitlines()).strip()[:MAX_SUBJECT_CHARS]
    body = render(data.get("body"), variables)
    reply_to = " ".join(render(data.get("reply_to"), variables).splitlines()).strip()
    details: dict[str, Any] = {
        "recipient_count": len(recipients),
        "recipients": [email_mask(address) for address in recipients],
    }
    level, text = "info", f"Email sent to {len(recipients)} recipient{'s' if len(recipients) != 1 else ''}."
    if reply_to and not _is_email(reply_to):
        # The email still goes out (a lead notification matters more than its Reply-To).
        level, text = "warning", text + " The reply-to address was invalid and left out."
        details["reply_to_invalid"] = email_mask(reply_to)
        reply_to = ""
    elif reply_to:
        details["reply_to"] = email_mask(reply_to)
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[reply_to] if reply_to else None,
        # RFC 3834: keeps vacation responders from answering a bot.
        headers={"Auto-Submitted": "auto-generated"},
    )
    return _log(node_id, level, text, details), message


def _recipients(text: str) -> tuple[list[str], list[str]]:
    """(valid addresses without duplicates, invalid entries) from a comma/semicolon list."""
    valid: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for entry in _RECIPIENT_SEPARATORS.split(text):
        address = entry.strip()
        if not address:
            continue
        if not _is_email(address):
            invalid.append(address)
        elif address.lower() not in seen:
            seen.add(address.lower())
            valid.append(address)
    return valid, invalid


def _is_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def email_mask(address: str) -> str:
    """`ana@example.com` → `a***@example.com`; something that is not an address → `a***`."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address.strip()[:1] + "***"
    return f"{local[:1]}***@{domain[:253]}"


def _log(node_id: str, level: str, message: str, details: Mapping[str, Any]) -> LogEntry:
    return LogEntry(node_id=node_id, node_type=EMAIL_NODE_TYPE, level=level, message=message, details=dict(details))
