"""One log line per chat request: start, reply, read, upload and the owner's preview.

The view runs the whole request inside the line (`respond_logged`), which notes the HTTP status
it answers; the services add what they learn on the way (`turn_note`: the chatbot, the session,
its status after the turn). The line carries ids, statuses and the duration, never what the
visitor typed or a secret; with JSON logs (LOG_FORMAT) each field is a key, and the request id
(X-Request-ID) is added to every record, so one visitor's turn can be followed across servers.
"""

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar

from config.database import database_unavailable

logger = logging.getLogger("executions.turns")

_current: ContextVar[dict | None] = ContextVar("chat_turn", default=None)


def turn_note(**fields) -> None:
    """Add fields to the line of the chat request under way (none: nothing to do)."""
    line = _current.get()
    if line is not None:
        line.update(fields)


def respond_logged(kind: str, respond: Callable):
    """Call `respond` (a view's dispatch, with its arguments bound) and log one line for the chat
    request of this kind: the status code of the response it returns, or for an exception that
    escapes, the status the middleware answers it with (503 for the database out of reach, else
    500)."""
    line: dict = {"kind": kind, "chatbot_id": None, "session_id": None, "session_status": None, "status": None}
    token = _current.set(line)
    began = time.perf_counter()
    try:
        response = respond()
        line["status"] = response.status_code
        return response
    except BaseException as exc:
        line.update(status=503 if database_unavailable(exc) else 500, error=type(exc).__name__)
        raise
    finally:
        _current.reset(token)
        line["duration_ms"] = round((time.perf_counter() - began) * 1000, 1)
        status = line["status"]
        line["outcome"] = "ok" if status is not None and status < 400 else "error"
        logger.info(
            "chat %s %s in %.1f ms (chatbot %s, session %s)",
            kind,
            status,
            line["duration_ms"],
            line["chatbot_id"],
            line["session_id"],
            extra={"event": "chat.turn", **line},
        )
