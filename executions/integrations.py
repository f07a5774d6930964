"""The side effects the runner may use, bound to one session: composing emails (sent later, by
the delivery worker) and, re-exported, the `http_request` node's call.

`executions.services` builds a `RunContext` with `compose_email=email_composer(session_id,
emails_sent=...)` and makes the calls a turn stops at with `http_node_call`. Neither raises:
what goes wrong comes back as a log entry (and, for HTTP, the `failure` handle).
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from executions.http_node import http_node_call
from executions.runner.state import EmailComposer, LogEntry
from executions.runner.templating import render

__all__ = ["email_composer", "http_node_call"]

logger = logging.getLogger(__name__)

EMAIL_NODE_TYPE = "send_email"
MAX_RECIPIENTS = 10
MAX_SUBJECT_CHARS = 500
_RECIPIENT_SEPARATORS = re.compile(r"[,;]")


def email_composer(session_id: str, *, emails_sent: int = 0) -> EmailComposer:
    """The `RunContext.compose_email` callable for one session.

    `emails_sent` is how many emails the session queued in earlier turns; with the ones this
    callable composes, at most SEND_EMAIL_MAX_PER_SESSION are queued per session. Each call
    renders `to`, `subject`, `body` and `reply_to` and validates the addresses (at most 10
    recipients). It returns (log, email): the email to queue ({to, subject, body, reply_to}),
    or None with an error log saying why not (limit reached, no valid recipient); a warning log
    when an invalid `reply_to` was left out. Addresses are logged masked (`a***@example.com`).
    """
    try:
        queued = max(0, int(emails_sent or 0))
    except (TypeError, ValueError):  # a malformed counter must not stop the chat
        queued = 0

    def compose(node_id: str, data: Mapping[str, Any], variables: Mapping[str, Any]):
        nonlocal queued
        try:
            if queued >= settings.SEND_EMAIL_MAX_PER_SESSION:
                limit = settings.SEND_EMAIL_MAX_PER_SESSION
                message = f"Email not sent: limit reached ({limit} per conversation)."
                return _log(node_id, "error", message, {"limit": limit}), None
            log, email = _email_build(node_id, data, variables)
            if email is not None:
                queued += 1
            return log, email
        except Exception:
            logger.exception("send_email node %s of session %s failed unexpectedly", node_id, session_id)
            return _log(node_id, "error", "Email not sent: unexpected error.", {"error": "unexpected"}), None

    return compose


def _email_build(
    node_id: str, data: Mapping[str, Any], variables: Mapping[str, Any]
) -> tuple[LogEntry, dict[str, Any] | None]:
    """The email to queue and the log saying so; or an error log and None."""
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
    level, text = "info", f"Email queued for {len(recipients)} recipient{'s' if len(recipients) != 1 else ''}."
    if reply_to and not _is_email(reply_to):
        # The email still goes out (a lead notification matters more than its Reply-To).
        level, text = "warning", text + " The reply-to address was invalid and left out."
        details["reply_to_invalid"] = email_mask(reply_to)
        reply_to = ""
    elif reply_to:
        details["reply_to"] = email_mask(reply_to)
    email = {"to": recipients, "subject": subject, "body": body, "reply_to": reply_to}
    return _log(node_id, level, text, details), email


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
