"""Domain errors of chatbots; config.exceptions maps them to statuses (see apps.py)."""


class OriginNotAllowed(Exception):
    """The page embedding the chat is not among the bot's allowed origins (→ 403).

    The message names the origin the request came from and the setting that would let it in,
    so a site owner who sees it in the browser's console knows what to change."""

    def __init__(self, origin: str) -> None:
        origin = origin[:255]
        self.origin = origin
        super().__init__(
            f"This chatbot cannot be embedded on {origin}: it accepts chats only from the sites in its "
            f"behavior.allowed_origins setting. Its owner can add {origin} there (or empty the list to allow any site)."
        )


class ChatbotNotPublished(Exception):
    """Unknown public id, or the chatbot is a draft or archived: nothing public to show (→ 404)."""
