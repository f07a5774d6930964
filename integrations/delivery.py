"""Delivering events and emails: outbox → deliveries → signed POSTs, and queued emails → the
mail server, with retries. Never inside a chat turn.

1. `outbox_dispatch` turns each new OutboxEvent into one WebhookEvent per subscribed webhook
   or integration (the owner's, for that chatbot or all of them), in one transaction.
2. `deliveries_claim` takes due deliveries under a lease (row locks, SKIP LOCKED on
   PostgreSQL): two workers never hold the same delivery, and a worker that dies mid-delivery
   loses nothing — the lease runs out and another worker takes it (at-least-once; receivers
   dedupe by X-Webhook-Id).
3. `delivery_attempt` POSTs through the guarded client, logs the attempt (IntegrationLog), and
   marks the delivery delivered, or schedules the next retry, or dead.
4. `email_attempt` sends a queued email (OutgoingEmail, claimed like a delivery) through
   Django's email backend and marks it sent, or schedules the next retry, or dead; once it is
   sent or given up, `email_settled` tells whoever keeps the session's log (executions).

`deliver_due` runs all four once; who runs it (a worker command, Celery, a thread) is
`integrations.worker`'s business.
"""

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.crypto import SecretUnreadable, secret_decrypt
from integrations.models import (
    Integration,
    IntegrationLog,
    IntegrationTemplate,
    OutboxEvent,
    OutgoingEmail,
    Webhook,
    WebhookEvent,
)
from integrations.outbound import OutboundError
from integrations.signals import email_settled
from integrations.signing import send_signed

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 1000


def _locking(queryset):
    return (
        queryset.select_for_update(skip_locked=True)
        if connection.features.has_select_for_update_skip_locked
        else queryset
    )


# --- 1. Fan-out ---------------------------------------------------------------------------------


def _event_payload(event: OutboxEvent) -> dict:
    return {"id": str(event.id), "type": event.type, "created_at": event.created_at.isoformat(), "data": event.data}


def _integration_payload(integration: Integration, event: OutboxEvent, chatbot_name: str) -> dict:
    base = _event_payload(event)
    fmt = integration.template.payload_format
    if fmt == IntegrationTemplate.PayloadFormat.SLACK:
        details = event.data.get("variables") or {}
        if event.type == "input.received":
            details = {event.data.get("variable") or event.data.get("node_id"): event.data.get("value")}
        summary = ", ".join(f"{k}: {v}" for k, v in details.items() if v not in (None, ""))
        text = f"*{chatbot_name}* — {event.type}"
        return {"text": f"{text}\n{summary}" if summary else text}
    if fmt == IntegrationTemplate.PayloadFormat.ROW:
        row = {"event_id": base["id"], "event": event.type, "created_at": base["created_at"], "chatbot": chatbot_name}
        for key, value in event.data.items():
            if key == "variables" and isinstance(value, dict):
                row.update({name: v for name, v in value.items() if name not in row})
            elif not isinstance(value, dict | list):
                row.setdefault(key, value)
        return row
    return base


def outbox_dispatch(*, limit: int = 200) -> int:
    """Fan new events out into deliveries; returns how many events were dispatched."""
    with transaction.atomic():
        events = list(
            _locking(OutboxEvent.objects.filter(dispatched_at__isnull=True).order_by("created_at")).select_related(
                "chatbot"
            )[:limit]
        )
        if not events:
            return 0
        owners = {e.chatbot.owner_id for e in events}
        webhooks = list(Webhook.objects.filter(owner_id__in=owners, is_active=True))
        integrations = list(Integration.objects.filter(owner_id__in=owners, is_active=True).select_related("template"))
        now = timezone.now()
        deliveries = []
        for event in events:
            owner, bot = event.chatbot.owner_id, event.chatbot_id

            def wanted(target, owner=owner, bot=bot, event=event):
                return (
                    target.owner_id == owner
                    and target.chatbot_id in (None, bot)
                    and event.type in target.events
                    and target.created_at <= event.created_at
                )

            def delivery(payload, event=event, bot=bot, **target):
                return WebhookEvent(
                    event=event, chatbot_id=bot, event_type=event.type, payload=payload, next_attempt_at=now, **target
                )

            payload = _event_payload(event)
            deliveries += [delivery(payload, webhook=webhook) for webhook in filter(wanted, webhooks)]
            deliveries += [
                delivery(_integration_payload(integration, event, event.chatbot.name), integration=integration)
                for integration in filter(wanted, integrations)
            ]
        WebhookEvent.objects.bulk_create(deliveries)
        # Events nobody subscribed to are done with; keep only those that have deliveries.
        used = {d.event_id for d in deliveries}
        OutboxEvent.objects.filter(pk__in=[e.pk for e in events if e.pk not in used]).delete()
        OutboxEvent.objects.filter(pk__in=used).update(dispatched_at=now)
        return len(events)


# --- 2. Claiming ----------------------------------------------------------------------------------


def deliveries_claim(*, limit: int = 50, now=None) -> list[tuple]:
    """Claim due webhook deliveries for this worker; returns (id, claim token) pairs."""
    return _claim(WebhookEvent, limit=limit, now=now)


def emails_claim(*, limit: int = 50, now=None) -> list[tuple]:
    """Claim due queued emails for this worker; returns (id, claim token) pairs."""
    return _claim(OutgoingEmail, limit=limit, now=now)


def _claim(model, *, limit: int, now=None) -> list[tuple]:
    """Claim due rows of `model` (a delivery: status, next_attempt_at, claim_token, locked_until)
    under a lease; returns (id, claim token) pairs."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    claimed = []
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    with transaction.atomic():
        due = _locking(
            model.objects.filter(status="pending", next_attempt_at__lte=now)
            .filter(unlocked)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)
        )[:limit]
        for pk in list(due):
            token = uuid.uuid4()
            # The condition repeats the claimability test: a concurrent claimer that got here
            # first (SQLite has no SKIP LOCKED) makes this update match nothing.
            updated = (
                model.objects.filter(pk=pk, status="pending")
                .filter(unlocked)
                .update(claim_token=token, locked_until=lease)
            )
            if updated:
                claimed.append((pk, token))
    return claimed


def _next_attempt(attempts: int, now, *, success: bool, done: str, dead: str) -> dict:
    """The status fields after attempt number `attempts`: `done`, or a retry after the next
    delay of WEBHOOK_RETRY_DELAYS, or `dead` once they are used up."""
    if success:
        return {"status": done}
    if attempts > len(settings.WEBHOOK_RETRY_DELAYS):
        return {"status": dead}
    return {"next_attempt_at": now + timedelta(seconds=settings.WEBHOOK_RETRY_DELAYS[attempts - 1])}


# --- 3. Attempts -----------------------------------------------------------------------------------


def _target(delivery: WebhookEvent) -> tuple[str, str, dict]:
    """(url, signing secret, extra headers) of the delivery's webhook or integration."""
    if delivery.webhook_id:
        webhook = delivery.webhook
        return webhook.url, secret_decrypt(webhook.secret_encrypted), {}
    integration = delivery.integration
    headers = {k: str(v) for k, v in (integration.config.get("headers") or {}).items()}
    return integration.config.get("url", ""), secret_decrypt(integration.secret_encrypted), headers


def delivery_attempt(delivery_id, claim_token) -> str | None:
    """Make one attempt at a claimed delivery; returns its new status (None if the claim was lost)."""
    delivery = (
        WebhookEvent.objects.select_related("webhook", "integration__template", "chatbot")
        .filter(pk=delivery_id, claim_token=claim_token)
        .first()
    )
    if delivery is None:
        return None
    owner_id = delivery.chatbot.owner_id
    status_code, error, excerpt, elapsed, url = None, "", "", 0, ""
    started = time.monotonic()
    try:
        url, secret, extra = _target(delivery)
        response = send_signed(
            url,
            secret=secret,
            delivery_id=str(delivery.pk),
            event_type=delivery.event_type,
            payload=delivery.payload,
            extra_headers=extra,
        )
        status_code, elapsed = response.status, response.elapsed_ms
        excerpt = response.text()[:EXCERPT_CHARS]
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except OutboundError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    except SecretUnreadable as exc:
        error = str(exc)
    elapsed = elapsed or int((time.monotonic() - started) * 1000)
    success = not error
    now = timezone.now()
    attempts = delivery.attempts + 1
    changes = _next_attempt(
        attempts, now, success=success, done=WebhookEvent.Status.DELIVERED, dead=WebhookEvent.Status.DEAD
    )
    if success:
        changes["delivered_at"] = now
    with transaction.atomic():
        updated = WebhookEvent.objects.filter(pk=delivery.pk, claim_token=claim_token).update(
            attempts=attempts,
            last_status_code=status_code,
            last_error=error[:500],
            claim_token=None,
            locked_until=None,
            **changes,
        )
        IntegrationLog.objects.create(
            owner_id=owner_id,
            kind=IntegrationLog.Kind.DELIVERY,
            webhook_id=delivery.webhook_id,
            integration_id=delivery.integration_id,
            delivery_id=delivery.pk,
            url=url[:2048],
            status_code=status_code,
            success=success,
            duration_ms=elapsed,
            error=error[:500],
            response_excerpt=excerpt,
        )
    if not updated:
        return None
    return changes.get("status", WebhookEvent.Status.PENDING)


def email_attempt(email_id, claim_token) -> str | None:
    """Send one claimed email; returns its new status (None if the claim was lost)."""
    email = OutgoingEmail.objects.filter(pk=email_id, claim_token=claim_token).select_related("session").first()
    if email is None:
        return None
    error = ""
    try:
        email_message({"to": email.to, "subject": email.subject, "body": email.body, "reply_to": email.reply_to}).send(
            fail_silently=False
        )
    except Exception as exc:  # SMTPException, OSError, or whatever a backend raises
        error = f"{type(exc).__name__}"
        logger.warning("Email %s of session %s: the mail server refused or failed: %r", email.pk, email.session_id, exc)
    now = timezone.now()
    attempts = email.attempts + 1
    changes = _next_attempt(
        attempts, now, success=not error, done=OutgoingEmail.Status.SENT, dead=OutgoingEmail.Status.DEAD
    )
    if not error:
        changes["sent_at"] = now
    with transaction.atomic():
        updated = OutgoingEmail.objects.filter(pk=email.pk, claim_token=claim_token).update(
            attempts=attempts, last_error=error[:500], claim_token=None, locked_until=None, **changes
        )
        status = changes.get("status")
        if updated and status:
            email_settled.send(
                sender=OutgoingEmail,
                email=email,
                sent=status == OutgoingEmail.Status.SENT,
                attempts=attempts,
                error=error,
            )
    if not updated:
        return None
    return changes.get("status", OutgoingEmail.Status.PENDING)


def email_message(email: Mapping[str, Any]) -> EmailMessage:
    """The message for a queued email ({to, subject, body, reply_to})."""
    reply_to = email.get("reply_to") or ""
    return EmailMessage(
        subject=email.get("subject") or "",
        body=email.get("body") or "",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(email.get("to") or []),
        reply_to=[reply_to] if reply_to else None,
        # RFC 3834: keeps vacation responders from answering a bot.
        headers={"Auto-Submitted": "auto-generated"},
    )


def deliver_due(*, limit: int = 50) -> int:
    """Dispatch new events, make one attempt at each due delivery and send each due email;
    returns the attempts made."""
    outbox_dispatch()
    made = 0
    for kind, claim, attempt in (
        ("Webhook delivery", deliveries_claim, delivery_attempt),
        ("Email", emails_claim, email_attempt),
    ):
        for row_id, token in claim(limit=limit):
            try:
                attempt(row_id, token)
            except Exception:  # one broken row must not stop the others; its lease expires
                logger.exception("%s %s failed unexpectedly", kind, row_id)
            made += 1
    return made
