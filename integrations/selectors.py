"""Reads of API connections, webhooks, integrations and their logs, scoped to their owner."""

from django.db.models import QuerySet

from authentication.models import User
from integrations.models import ApiConnection, Integration, IntegrationLog, IntegrationTemplate, Webhook, WebhookEvent


def api_connections_owned(*, user: User) -> QuerySet[ApiConnection]:
    return ApiConnection.objects.filter(owner=user)


def api_connection_get_owned(*, user: User, pk: int | str) -> ApiConnection | None:
    return api_connections_owned(user=user).filter(pk=pk).first()


def webhooks_owned(*, user: User) -> QuerySet[Webhook]:
    return Webhook.objects.filter(owner=user)


def integration_templates() -> QuerySet[IntegrationTemplate]:
    """The presets (Slack, Zapier, REST API, Google Sheets): the same for everyone."""
    return IntegrationTemplate.objects.all()


def integrations_owned(*, user: User) -> QuerySet[Integration]:
    return Integration.objects.filter(owner=user).select_related("template")


def integration_logs_owned(*, user: User) -> QuerySet[IntegrationLog]:
    return IntegrationLog.objects.filter(owner=user)


def webhook_deliveries_owned(*, user: User) -> QuerySet[WebhookEvent]:
    return WebhookEvent.objects.filter(chatbot__owner=user).select_related("webhook", "integration")
