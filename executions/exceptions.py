"""Domain errors of the chat path; config.exceptions maps them to statuses (see apps.py)."""

# Refused embed origins are answered alike by the chat and the public profile (chatbots).
from chatbots.exceptions import OriginNotAllowed  # noqa: F401


class ChatbotUnavailable(Exception):
    """Unknown public id, or the chatbot is not published (→ 404)."""


class SessionNotFound(Exception):
    """Unknown or malformed session id (→ 404)."""


class SessionClosed(Exception):
    """The session is completed or failed (→ 409)."""


class SessionExpired(Exception):
    """The session was idle longer than the bot's timeout (→ 410)."""


class StaleInput(Exception):
    """The reply names an input that is no longer pending: a double submit or a stale tab (→ 409)."""


class NotAnInput(Exception):
    """The reply's node_id names no input of the chatbot (→ 400, on the node_id field)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.detail = {"node_id": message}


class UploadRefused(Exception):
    """A chat upload is too large or of a type the input does not take (→ 400)."""


class SessionBusy(Exception):
    """Another request of this session is under way: an HTTP call the conversation waits for,
    or replies racing each other (→ 409 with Retry-After)."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
