"""The one guarded HTTP client for every request our server sends on a user's behalf.

Flow `http_request` nodes, webhook deliveries and API connection tests all go through
`outbound_request`; `outbound_check_url` validates a URL when it is saved. See the module docstrings
of `policy` (what is refused) and `transport` (how the connection is pinned to the checked address).
"""

from .client import OutboundResponse, outbound_check_url, outbound_request
from .exceptions import (
    OutboundBlocked,
    OutboundConnectionError,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
)

__all__ = [
    "OutboundBlocked",
    "OutboundConnectionError",
    "OutboundError",
    "OutboundResponse",
    "OutboundTimeout",
    "OutboundTooLarge",
    "outbound_check_url",
    "outbound_request",
]
