"""Signed event POSTs: the receiver checks X-Signature with the webhook's secret.

    X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Receivers should recompute the HMAC over the raw body with the timestamp, compare in constant
time, refuse timestamps older than a few minutes (replays), and dedupe by X-Webhook-Id.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings

from integrations.outbound import OutboundResponse, outbound_request


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (used by our tests and documented for users)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature_header(secret, body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def send_signed(
    url: str, *, secret: str, delivery_id: str, event_type: str, payload: dict, extra_headers: dict | None = None
) -> OutboundResponse:
    """POST `payload` as JSON, signed with `secret`, through the guarded client.
    Raises the guarded client's OutboundError subclasses."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    headers = {
        **(extra_headers or {}),
        "Content-Type": "application/json",
        "X-Webhook-Id": delivery_id,
        "X-Webhook-Event": event_type,
    }
    if secret:
        headers["X-Signature"] = signature_header(secret, body)
    return outbound_request("POST", url, headers=headers, data=body, timeout=settings.WEBHOOK_TIMEOUT)
