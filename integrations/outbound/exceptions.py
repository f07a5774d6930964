class OutboundError(Exception):
    """Base of every outbound failure.

    The message is short and safe to show to the user who configured the request: it never contains
    the URL's query, headers, resolved internal addresses or the remote body.
    """

    default_message = "The outbound request failed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class OutboundBlocked(OutboundError):
    """Refused by the guard: scheme, userinfo, host name, address, port, method or too many redirects."""

    default_message = "This URL is not allowed."


class OutboundTimeout(OutboundError):
    default_message = "The remote server did not answer in time."


class OutboundTooLarge(OutboundError):
    default_message = "The response is larger than allowed."


class OutboundConnectionError(OutboundError):
    """The connection could not be made or broke: DNS failure, refused connection, TLS failure."""

    default_message = "Could not connect to the remote server."
