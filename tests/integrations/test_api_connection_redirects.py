"""A request through an API connection carries the connection's credentials — its auth and its own
headers — to the connection's origin only: kept on a redirect that stays there, dropped from one
that leaves it. The same for both callers: the `http_request` node and the owner's test endpoint.

The connection's server answers on 127.0.0.1; another origin is the same local server under another
name (`elsewhere.test`, resolved by the fake DNS), so every packet stays on loopback."""

import base64
import uuid

import pytest
from werkzeug import Response

from components.catalog import COMPONENT_TYPES
from executions.integrations import http_node_call
from executions.models import ChatSession
from integrations.crypto import secret_encrypt
from integrations.models import ApiConnection, IntegrationLog
from tests.factories import published_bot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dns", "network", "outbound_settings")]

SECRET = "sk_live_redirect-0123456789"
TENANT = "tenant-credential-42"
ELSEWHERE = "elsewhere.test"

# auth type, auth name, and what of the credentials a request received carries
AUTH_TYPES = {
    "none": ("", lambda request: None),
    "bearer": ("", lambda request: request.headers.get("Authorization")),
    "basic": ("bot-user", lambda request: request.headers.get("Authorization")),
    "header": ("X-Api-Key", lambda request: request.headers.get("X-Api-Key")),
    "query": ("api_key", lambda request: request.args.get("api_key")),
}
EXPECTED = {
    "none": None,
    "bearer": f"Bearer {SECRET}",
    "basic": "Basic " + base64.b64encode(f"bot-user:{SECRET}".encode()).decode(),
    "header": SECRET,
    "query": SECRET,
}


@pytest.fixture
def server(httpserver, settings, dns):
    dns.answers[ELSEWHERE] = ["127.0.0.1"]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}", f"{ELSEWHERE}:{httpserver.port}"]
    return httpserver


def _connection(owner, server, auth_type: str) -> ApiConnection:
    auth_name, _ = AUTH_TYPES[auth_type]
    return ApiConnection.objects.create(
        owner=owner,
        name=f"CRM {uuid.uuid4().hex[:6]}",
        base_url=f"http://127.0.0.1:{server.port}/v1",
        auth_type=auth_type,
        auth_name=auth_name,
        secret_encrypted=secret_encrypt(SECRET) if auth_type != "none" else "",
        # The connection's own headers may be credentials too.
        headers={"X-Tenant": TENANT},
    )


def _redirecting(server, auth_type: str, *, elsewhere: bool) -> str:
    """/v1/start answers 302 to /landing, on the connection's origin or on another one; the
    redirect repeats a key parameter, as an open redirect that keeps the query would."""
    host = f"{ELSEWHERE}:{server.port}" if elsewhere else f"127.0.0.1:{server.port}"
    key = f"api_key={SECRET}&" if auth_type == "query" else ""
    location = f"http://{host}/landing?{key}page=2"
    server.expect_request("/v1/start").respond_with_response(Response(status=302, headers={"Location": location}))
    server.expect_request("/landing").respond_with_json({"ok": True})
    return host


def _landing(server):
    requests = [request for request, _ in server.log if request.path == "/landing"]
    assert len(requests) == 1
    return requests[0]


def _through_the_node(user, connection, auth_client) -> None:
    bot = published_bot(owner=user)
    session = ChatSession.objects.create(chatbot=bot, version=bot.live_version, version_uid=bot.live_version.uid)
    data = {**COMPONENT_TYPES["http_request"].defaults(), "url": "/start", "connection": connection.pk}
    outcome = http_node_call(str(session.id), "h", data, {}, chatbot_id=bot.pk)
    assert outcome.handle == "success", outcome.log.message
    assert SECRET not in outcome.log.message and SECRET not in str(outcome.log.details)


def _through_the_test_endpoint(user, connection, auth_client) -> None:
    response = auth_client.post(
        "/api/integrations/test-api/", {"connection": connection.pk, "url": "start"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status_code"] == 200
    assert SECRET not in str(response.json())
    assert SECRET not in IntegrationLog.objects.get().url


CALLERS = {"node": _through_the_node, "test endpoint": _through_the_test_endpoint}


@pytest.fixture(params=list(CALLERS))
def send(request, user, auth_client):
    return lambda connection: CALLERS[request.param](user, connection, auth_client)


@pytest.mark.parametrize("auth_type", list(AUTH_TYPES))
def test_a_redirect_on_the_connections_origin_keeps_its_credentials(server, user, send, auth_type):
    connection = _connection(user, server, auth_type)
    host = _redirecting(server, auth_type, elsewhere=False)
    send(connection)
    landing = _landing(server)
    assert landing.host == host
    _, carried = AUTH_TYPES[auth_type]
    assert carried(landing) == EXPECTED[auth_type]
    assert landing.headers.get("X-Tenant") == TENANT
    assert landing.args.get("page") == "2"


@pytest.mark.parametrize("auth_type", list(AUTH_TYPES))
def test_a_redirect_to_another_origin_drops_the_connections_credentials(server, user, send, auth_type):
    connection = _connection(user, server, auth_type)
    host = _redirecting(server, auth_type, elsewhere=True)
    send(connection)
    landing = _landing(server)
    assert landing.host == host
    _, carried = AUTH_TYPES[auth_type]
    assert carried(landing) is None
    assert "X-Tenant" not in landing.headers and "Authorization" not in landing.headers
    assert SECRET not in str(landing.url) and SECRET not in str(dict(landing.headers))
    # What is not a credential still goes where the server redirected.
    assert landing.args.get("page") == "2"


def test_the_key_parameter_goes_with_every_hop_on_the_connections_origin_even_when_a_redirect_drops_it(
    server, user, send
):
    connection = _connection(user, server, "query")
    server.expect_request("/v1/start").respond_with_response(Response(status=301, headers={"Location": "/landing"}))
    server.expect_request("/landing").respond_with_json({"ok": True})
    send(connection)
    assert _landing(server).args.getlist("api_key") == [SECRET]
