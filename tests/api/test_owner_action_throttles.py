"""Owner actions that send requests out or run the draft are rate limited per account."""

import pytest
from rest_framework.test import APIClient

from integrations.models import ApiConnection, Webhook
from tests.factories import DEFAULT_PASSWORD, ChatbotFactory, UserFactory, published_bot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dns", "network", "outbound_settings")]


@pytest.fixture
def two_per_minute(settings):
    def limit(scope: str) -> None:
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope: "2/min"}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return limit


@pytest.fixture
def target(httpserver, settings, dns):
    dns.answers["localhost"] = ["127.0.0.1"]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}", f"localhost:{httpserver.port}"]
    httpserver.expect_request("/hook").respond_with_data("ok")
    return httpserver


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_test_api_sends_at_most_the_rate_then_429(auth_client, other_client, target, two_per_minute):
    two_per_minute("test_api")
    body = {"method": "POST", "url": target.url_for("/hook"), "body": "x" * 100_000}
    statuses = [auth_client.post("/api/integrations/test-api/", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(target.log) == 2
    blocked = auth_client.post("/api/integrations/test-api/", body, format="json")
    assert int(blocked["Retry-After"]) > 0 and "detail" in blocked.json()
    # Per account, not per address: another owner on the same IP has a budget of their own.
    assert other_client.post("/api/integrations/test-api/", body, format="json").status_code == 200


def test_test_webhook_is_throttled(auth_client, target, two_per_minute):
    two_per_minute("test_webhook")
    body = {"url": target.url_for("/hook"), "secret": "s" * 20}
    statuses = [auth_client.post("/api/integrations/test-webhook/", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(target.log) == 2


def test_the_test_actions_share_one_budget(user, target, two_per_minute):
    two_per_minute("test")
    client = client_for(user)
    connection = ApiConnection.objects.create(owner=user, name="API", base_url=target.url_for("/hook"))
    webhook = Webhook.objects.create(
        owner=user, name="Hook", url=target.url_for("/hook"), events=["session.started"], secret_encrypted=""
    )
    assert client.post(f"/api/integrations/api-connections/{connection.pk}/test/").status_code == 200
    assert client.post(f"/api/integrations/webhooks/{webhook.pk}/test/").status_code == 200
    assert client.post(f"/api/integrations/api-connections/{connection.pk}/test/").status_code == 429
    assert client.post(f"/api/integrations/webhooks/{webhook.pk}/test/").status_code == 429


def test_preview_is_throttled_per_account(user, two_per_minute):
    two_per_minute("preview")
    bot = published_bot(owner=user)
    client = client_for(user)
    statuses = [client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json").status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    other = UserFactory()
    other_bot = ChatbotFactory(owner=other)
    assert client_for(other).post(f"/api/chatbots/{other_bot.pk}/preview/", {}, format="json").status_code == 201


def test_change_password_is_throttled(user, two_per_minute):
    two_per_minute("change_password")
    client = client_for(user)
    wrong = {"old_password": "nope", "new_password": "An0ther-passphrase", "new_password_confirm": "An0ther-passphrase"}
    assert [client.post("/api/auth/change-password/", wrong, format="json").status_code for _ in range(2)] == [400, 400]
    right = {**wrong, "old_password": DEFAULT_PASSWORD}
    assert client.post("/api/auth/change-password/", right, format="json").status_code == 429
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
