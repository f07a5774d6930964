"""Owner operations on API connections, webhooks and integrations, and the test sends."""

import secrets
import time

from django.core.exceptions import ValidationError
from django.db import transaction

from jsonschema import Draft202012Validator

from config.jsonschema_errors import schema_errors
from integrations.crypto import basic_auth_token, secret_decrypt, secret_encrypt, secret_mask, secret_redact
from integrations.models import (
    EVENT_CHOICES,
    ApiConnection,
    Integration,
    IntegrationLog,
    IntegrationTemplate,
    Webhook,
)
from integrations.outbound import OutboundBlocked, OutboundError, outbound_check_url, outbound_request
from integrations.signing import send_signed

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


def _check_chatbot(owner, chatbot):
    if chatbot is not None and chatbot.owner_id != owner.pk:
        raise ValidationError({"chatbot": "No such chatbot."})


def _save_changes(obj, fields: dict):
    for name, value in fields.items():
        setattr(obj, name, value)
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
def api_connection_create(owner, *, secret: str | None = None, **fields) -> ApiConnection:
    connection = ApiConnection(owner=owner, **fields)
    api_connection_set_secret(connection, secret)
    api_connection_check(connection)
    connection.save()
    return connection


@transaction.atomic
def api_connection_update(connection: ApiConnection, *, secret: str | None = None, **fields) -> ApiConnection:
    for name, value in fields.items():
        setattr(connection, name, value)
    api_connection_set_secret(connection, secret)
    api_connection_check(connection)
    connection.save()
    return connection


# --- Webhooks ---------------------------------------------------------------------------------


def subscription_check(owner, *, url: str, events: list[str], chatbot=None) -> list[str]:
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
def webhook_create(owner, *, url: str, events: list[str], chatbot=None, name: str = "", is_active: bool = True):
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
def webhook_update(webhook: Webhook, **fields) -> Webhook:
    if "url" in fields:
        _check_url(fields["url"])
    if "events" in fields:
        fields["events"] = _check_events(fields["events"])
    if "chatbot" in fields:
        _check_chatbot(webhook.owner, fields["chatbot"])
    return _save_changes(webhook, fields)


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
    owner,
    *,
    template: IntegrationTemplate,
    name: str,
    config: dict,
    events: list[str],
    chatbot=None,
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
def integration_update(integration: Integration, **fields) -> Integration:
    if "config" in fields:
        fields["config"] = integration_config_check(integration.template, fields["config"])
    if "events" in fields:
        fields["events"] = _check_events(fields["events"])
    if "chatbot" in fields:
        _check_chatbot(integration.owner, fields["chatbot"])
    return _save_changes(integration, fields)


@transaction.atomic
def integrations_bulk_action(owner, *, action: str, ids: list[int]) -> int:
    """activate / deactivate / delete several of the owner's integrations; returns how many."""
    targets = Integration.objects.filter(owner=owner, pk__in=ids)
    if action == "delete":
        # delete() counts per model; cascaded rows (logs, deliveries) are not integrations.
        return targets.delete()[1].get(Integration._meta.label, 0)
    return targets.update(is_active=action == "activate")


# --- Test sends ---------------------------------------------------------------------------------


def _send_logged(owner, send, *, kind, url, method="POST", hidden=(), **targets) -> dict:
    """Run `send()` (one outbound request), record it in IntegrationLog and return what the
    owner sees: status, timing, a body excerpt and headers, with `hidden` secrets masked."""
    started = time.monotonic()
    try:
        response = send()
    except OutboundError as exc:
        response, error, duration = None, f"{type(exc).__name__}: {exc}", int((time.monotonic() - started) * 1000)
    else:
        error, duration = "", response.elapsed_ms
    hidden = list(hidden)
    status = response.status if response is not None else None
    excerpt = secret_redact(response.text()[:EXCERPT_CHARS], hidden) if response is not None else ""
    success = response is not None and 200 <= status < 300
    IntegrationLog.objects.create(
        owner=owner,
        kind=kind,
        url=url[:2048],
        method=method,
        status_code=status,
        success=success,
        duration_ms=duration,
        error=error[:500],
        response_excerpt=excerpt,
        **targets,
    )
    return {
        "success": success,
        "status_code": status,
        "duration_ms": duration,
        "error": error,
        "response_excerpt": excerpt,
        "headers": {k: secret_redact(v, hidden) for k, v in response.headers.items()} if response is not None else {},
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


def webhook_test_send(owner, *, url: str, secret: str = "", event_type: str = "session.completed", **targets) -> dict:
    """Send a signed sample event to `url` now; returns status and timing (and logs it)."""
    _check_url(url)
    payload = sample_event(event_type)
    return _send_logged(
        owner,
        lambda: send_signed(url, secret=secret, delivery_id=payload["id"], event_type=event_type, payload=payload),
        kind=IntegrationLog.Kind.TEST,
        url=url,
        **targets,
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
    owner, *, method: str, url: str, headers: dict, query: dict, body: str, connection=None, timeout: float = 10
) -> dict:
    """One request through the guard (a connection adds its base URL and auth); returns
    status, headers and a body excerpt. The connection's secret never appears in what is
    returned or logged, even when the server echoes it."""
    request_headers, params, hidden = dict(headers), dict(query), []
    target = url
    if connection is not None:
        if url.startswith(("http://", "https://")):
            raise ValidationError({"url": "With a connection, give a path relative to its base URL."})
        target = connection.base_url.rstrip("/") + "/" + url.lstrip("/") if url else connection.base_url
        request_headers = {**connection.headers, **request_headers}
        secret = secret_decrypt(connection.secret_encrypted)
        hidden.append(secret)
        kind = connection.auth_type
        if kind == ApiConnection.AuthType.BEARER:
            request_headers["Authorization"] = f"Bearer {secret}"
        elif kind == ApiConnection.AuthType.HEADER:
            request_headers[connection.auth_name] = secret
        elif kind == ApiConnection.AuthType.QUERY:
            params[connection.auth_name] = secret
        elif kind == ApiConnection.AuthType.BASIC:
            token = basic_auth_token(connection.auth_name, secret)
            request_headers["Authorization"] = f"Basic {token}"
            hidden.append(token)
    _check_url(target)
    return _send_logged(
        owner,
        lambda: outbound_request(
            method,
            target,
            headers=request_headers,
            params=params,
            data=body.encode() if body else None,
            timeout=timeout,
        ),
        kind=IntegrationLog.Kind.API_TEST,
        url=target,
        method=method,
        hidden=hidden,
    )
