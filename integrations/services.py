"""Owner operations on API connections, webhooks and integrations, and the test sends."""

import secrets
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from jsonschema import Draft202012Validator

from authentication.models import User
from chatbots.models import Chatbot
from config.jsonschema_errors import schema_errors
from config.unset import UNSET, Unset, changes_apply
from integrations.api_requests import (
    REFUSED_CONNECTION_UNAVAILABLE,
    ApiRequest,
    ApiRequestRefused,
    ApiResult,
    api_request_connect,
    api_request_send,
    api_request_target,
    api_result,
)
from integrations.crypto import secret_decrypt, secret_encrypt, secret_mask
from integrations.models import (
    EVENT_CHOICES,
    ApiConnection,
    Integration,
    IntegrationLog,
    IntegrationTemplate,
    Webhook,
    WebhookEvent,
)
from integrations.outbound import OutboundBlocked, outbound_check_url
from integrations.signing import send_signed
from integrations.worker import deliveries_kick

EVENTS = tuple(value for value, _ in EVENT_CHOICES)
EXCERPT_CHARS = 1000


def _check_url(url: str, field: str = "url") -> None:
    try:
        outbound_check_url(url)
    except OutboundBlocked as exc:
        raise ValidationError({field: str(exc)}) from exc


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise ValidationError({"events": f"Choose among {', '.join(EVENTS)}."})
    return sorted(set(events), key=EVENTS.index)


def _check_chatbot(owner: User, chatbot: Chatbot | None) -> None:
    if chatbot is not None and chatbot.owner_id != owner.pk:
        raise ValidationError({"chatbot": "No such chatbot."})


def _save_changes(obj: Model, fields: dict[str, Any]) -> Model:
    """Set the `fields` given (not UNSET), then full_clean and save."""
    changes_apply(obj, fields)
    obj.full_clean()
    obj.save()
    return obj


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# --- API connections ------------------------------------------------------------------------


def api_connection_set_secret(connection: ApiConnection, secret: str | None) -> None:
    """Encrypt `secret` onto the connection (None keeps the stored one)."""
    if secret is not None:
        connection.secret_encrypted = secret_encrypt(secret)
        connection.secret_hint = secret_mask(secret)


def api_connection_check(connection: ApiConnection) -> None:
    """Raise ValidationError unless the connection is usable: a base URL the outbound guard
    allows, the key's name and a secret where its authentication type needs them."""
    _check_url(connection.base_url, "base_url")
    needs_name = connection.auth_type in (ApiConnection.AuthType.HEADER, ApiConnection.AuthType.QUERY)
    if needs_name and not connection.auth_name:
        raise ValidationError({"auth_name": "Name the header or query parameter that carries the key."})
    needs_secret = connection.auth_type != ApiConnection.AuthType.NONE
    if needs_secret and not connection.secret_encrypted:
        raise ValidationError({"secret": "This authentication type needs a secret."})
    connection.full_clean()


@transaction.atomic
def api_connection_create(
    owner: User,
    *,
    name: str,
    base_url: str,
    auth_type: str = ApiConnection.AuthType.NONE,
    auth_name: str = "",
    headers: dict[str, str] | None = None,
    secret: str | None = None,
) -> ApiConnection:
    connection = ApiConnection(
        owner=owner, name=name, base_url=base_url, auth_type=auth_type, auth_name=auth_name, headers=headers or {}
    )
    api_connection_set_secret(connection, secret)
    api_connection_check(connection)
    connection.save()
    return connection


@transaction.atomic
def api_connection_update(
    connection: ApiConnection,
    *,
    name: str | Unset = UNSET,
    base_url: str | Unset = UNSET,
    auth_type: str | Unset = UNSET,
    auth_name: str | Unset = UNSET,
    headers: dict[str, str] | Unset = UNSET,
    secret: str | None = None,
) -> ApiConnection:
    """Change what is given; `secret` None keeps the stored one."""
    changes_apply(
        connection,
        {"name": name, "base_url": base_url, "auth_type": auth_type, "auth_name": auth_name, "headers": headers},
    )
    api_connection_set_secret(connection, secret)
    api_connection_check(connection)
    connection.save()
    return connection


# --- Webhooks ---------------------------------------------------------------------------------


def subscription_check(owner: User, *, url: str, events: list[str], chatbot: Chatbot | None = None) -> list[str]:
    """Check what a webhook subscribes with (a URL the outbound guard allows, known events, one
    of the owner's chatbots or all of them); returns the events, deduplicated and in order.
    Raises ValidationError naming the field."""
    _check_url(url)
    _check_chatbot(owner, chatbot)
    return _check_events(events)


def webhook_secret_new(webhook: Webhook) -> str:
    """Give the webhook a new signing secret (encrypted); returns it, to be shown this once."""
    secret = new_secret()
    webhook.secret_encrypted = secret_encrypt(secret)
    return secret


@transaction.atomic
def webhook_create(
    owner: User,
    *,
    url: str,
    events: list[str],
    chatbot: Chatbot | None = None,
    name: str = "",
    is_active: bool = True,
) -> tuple[Webhook, str]:
    """Returns (webhook, signing secret): the secret is shown this once."""
    events = subscription_check(owner, url=url, events=events, chatbot=chatbot)
    webhook = Webhook(
        owner=owner,
        url=url,
        events=events,
        chatbot=chatbot,
        name=name,
        is_active=is_active,
    )
    secret = webhook_secret_new(webhook)
    webhook.full_clean()
    webhook.save()
    return webhook, secret


@transaction.atomic
def webhook_update(
    webhook: Webhook,
    *,
    url: str | Unset = UNSET,
    events: list[str] | Unset = UNSET,
    chatbot: Chatbot | Unset | None = UNSET,
    name: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> Webhook:
    """Change what is given (`chatbot` None: every chatbot of the owner)."""
    if url is not UNSET:
        _check_url(url)
    if events is not UNSET:
        events = _check_events(events)
    if chatbot is not UNSET:
        _check_chatbot(webhook.owner, chatbot)
    changes = {"url": url, "events": events, "chatbot": chatbot, "name": name, "is_active": is_active}
    return _save_changes(webhook, changes)


def webhook_rotate_secret(webhook: Webhook) -> str:
    secret = webhook_secret_new(webhook)
    webhook.save(update_fields=["secret_encrypted", "updated_at"])
    return secret


# --- Integrations -----------------------------------------------------------------------------


def integration_config_check(template: IntegrationTemplate, config: dict) -> dict:
    """Raise ValidationError (keyed `config.<path>`) unless `config` fits the preset's schema
    and its URL is one the outbound guard allows."""
    errors = schema_errors(Draft202012Validator(template.config_schema), config, prefix="config")
    if errors:
        raise ValidationError(errors)
    _check_url(config.get("url", ""), "config.url")
    return config


@transaction.atomic
def integration_create(
    owner: User,
    *,
    template: IntegrationTemplate,
    name: str,
    config: dict,
    events: list[str],
    chatbot: Chatbot | None = None,
    is_active: bool = True,
) -> Integration:
    _check_chatbot(owner, chatbot)
    integration = Integration(
        owner=owner,
        template=template,
        name=name,
        config=integration_config_check(template, config),
        events=_check_events(events),
        chatbot=chatbot,
        is_active=is_active,
        secret_encrypted=secret_encrypt(new_secret()),
    )
    integration.full_clean()
    integration.save()
    return integration


@transaction.atomic
def integration_update(
    integration: Integration,
    *,
    name: str | Unset = UNSET,
    config: dict | Unset = UNSET,
    events: list[str] | Unset = UNSET,
    chatbot: Chatbot | Unset | None = UNSET,
    is_active: bool | Unset = UNSET,
) -> Integration:
    """Change what is given (`chatbot` None: every chatbot of the owner); the preset stays."""
    if config is not UNSET:
        config = integration_config_check(integration.template, config)
    if events is not UNSET:
        events = _check_events(events)
    if chatbot is not UNSET:
        _check_chatbot(integration.owner, chatbot)
    changes = {"name": name, "config": config, "events": events, "chatbot": chatbot, "is_active": is_active}
    return _save_changes(integration, changes)


@transaction.atomic
def integrations_bulk_action(owner: User, *, action: str, ids: list[int]) -> int:
    """activate / deactivate / delete several of the owner's integrations; returns how many."""
    targets = Integration.objects.filter(owner=owner, pk__in=ids)
    if action == "delete":
        # delete() counts per model; cascaded rows (logs, deliveries) are not integrations.
        return targets.delete()[1].get(Integration._meta.label, 0)
    return targets.update(is_active=action == "activate")


# --- Test sends ---------------------------------------------------------------------------------


def _send_logged(
    owner: User,
    result: ApiResult,
    *,
    kind: str,
    url: str,
    method: str = "POST",
    webhook: Webhook | None = None,
    integration: Integration | None = None,
) -> dict:
    """Record a test send in IntegrationLog and return what the owner sees: status, timing, a
    body excerpt and headers, the secret redacted."""
    response = result.response
    error = f"{type(result.error).__name__}: {result.error}" if result.error is not None else ""
    status = response.status if response is not None else None
    excerpt = result.excerpt(EXCERPT_CHARS)
    success = response is not None and 200 <= status < 300
    IntegrationLog.objects.create(
        owner=owner,
        kind=kind,
        url=url[:2048],
        method=method,
        status_code=status,
        success=success,
        duration_ms=result.elapsed_ms,
        error=error[:500],
        response_excerpt=excerpt,
        webhook=webhook,
        integration=integration,
    )
    return {
        "success": success,
        "status_code": status,
        "duration_ms": result.elapsed_ms,
        "error": error,
        "response_excerpt": excerpt,
        "headers": result.headers(),
    }


def sample_event(event_type: str = "session.completed") -> dict:
    return {
        "id": f"test_{secrets.token_hex(8)}",
        "type": event_type,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": {
            "session_id": "00000000-0000-4000-8000-000000000000",
            "test": True,
            "variables": {"name": "Ana", "email": "ana@example.com"},
        },
    }


def webhook_test_send(
    owner: User,
    *,
    url: str,
    secret: str = "",
    event_type: str = "session.completed",
    webhook: Webhook | None = None,
    integration: Integration | None = None,
) -> dict:
    """Send a signed sample event to `url` now; returns status and timing (and logs it)."""
    _check_url(url)
    payload = sample_event(event_type)
    result = api_result(
        ApiRequest(method="POST", url=url),
        lambda: send_signed(url, secret=secret, delivery_id=payload["id"], event_type=event_type, payload=payload),
    )
    return _send_logged(
        owner,
        result,
        kind=IntegrationLog.Kind.TEST,
        url=url,
        webhook=webhook,
        integration=integration,
    )


def webhook_test(webhook: Webhook) -> dict:
    return webhook_test_send(
        webhook.owner, url=webhook.url, secret=secret_decrypt(webhook.secret_encrypted), webhook=webhook
    )


def integration_test(integration: Integration) -> dict:
    return webhook_test_send(
        integration.owner,
        url=integration.config.get("url", ""),
        secret=secret_decrypt(integration.secret_encrypted),
        integration=integration,
    )


def api_test(
    owner: User,
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    query: dict[str, str],
    body: str,
    connection: ApiConnection | None = None,
    timeout: float = 10,
) -> dict:
    """One request through the guard, sent as the `http_request` node sends it (a connection adds
    its base URL and credentials, which never follow a redirect to another origin); returns
    status, headers and a body excerpt. The connection's secret never appears in what is
    returned or logged, even when the server echoes it. Raises ValidationError for a URL the
    guard refuses or, with a connection, one that is not a path under its base URL."""
    request = ApiRequest(method=method, timeout=timeout)
    try:
        if connection is not None:
            api_request_connect(request, connection)
        api_request_target(request, url)
    except ApiRequestRefused as exc:
        field = "connection" if exc.kind == REFUSED_CONNECTION_UNAVAILABLE else "url"
        raise ValidationError({field: exc.message}) from exc
    _check_url(request.url)
    request.headers.update(headers)
    request.params = dict(query)
    request.body = body.encode() if body else None
    return _send_logged(
        owner,
        api_request_send(request),
        kind=IntegrationLog.Kind.API_TEST,
        url=request.display_url(),
        method=method,
    )


# --- Deliveries ------------------------------------------------------------------------------------


def delivery_retry(delivery: WebhookEvent) -> WebhookEvent:
    """Re-queue a delivery now; a dead one starts its retries over."""
    delivery.status = WebhookEvent.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.claim_token = None
    delivery.locked_until = None
    if delivery.attempts > len(settings.WEBHOOK_RETRY_DELAYS):
        delivery.attempts = 0
    delivery.save(update_fields=["status", "next_attempt_at", "claim_token", "locked_until", "attempts"])
    deliveries_kick(urgent=True)
    return delivery
