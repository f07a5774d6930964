"""What a public endpoint knows of a visitor: the page it is called from (the bot's allowed
origins) and a salted hash of the address (to count distinct visitors, storing none)."""

import hashlib
import hmac

from django.conf import settings

from chatbots.services import embed_origin_check
from executions.models import ChatSession
from executions.selectors import session_get


def ip_hash(ip: str | None) -> str:
    """A salted hash of the visitor's IP: counts distinct visitors without storing addresses."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def origin_check(allowed: list[str], origin: str | None) -> None:
    """Raises OriginNotAllowed unless `origin` is a page the bot may be embedded on."""
    embed_origin_check(allowed, origin)


def session_for_visitor(session_id: str, *fields: str, origin: str | None) -> ChatSession:
    """session_get for a public endpoint: the page calling it must be one the bot may be
    embedded on, as for start and reply (raises OriginNotAllowed)."""
    session = session_get(session_id, "allowed_origins", *fields)
    origin_check(session.allowed_origins, origin)
    return session
