"""The database out of reach answers 503 JSON quickly (never a 500, never a hang), is logged
once, and the same process serves again as soon as the database is back."""

import logging
import socket
import sqlite3
import time
from collections.abc import Iterator

from django.db import IntegrityError, close_old_connections, connection
from django.db.utils import DatabaseErrorWrapper
from django.test import RequestFactory

import psycopg
import psycopg.errors
import pytest

from config import database, views
from tests.factories import DEFAULT_PASSWORD, UserFactory, published_bot

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"detail": "The database is unavailable; try again shortly.", "code": "database_unavailable"}


@pytest.fixture(autouse=True)
def _fresh_warning_state():
    database._warning_due.reset()
    yield
    database._warning_due.reset()


@pytest.fixture
def break_database(closed_port) -> Iterator:
    """Call it to cut the process off its database (PostgreSQL: a closed port; SQLite: a file
    that cannot be opened); the database is given back when the test ends."""
    original = dict(connection.settings_dict)

    def cut():
        connection.close()
        if connection.vendor == "postgresql":
            connection.settings_dict.update(HOST="127.0.0.1", PORT=closed_port)
        else:
            connection.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"

    yield cut
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


def restore(saved: dict) -> None:
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def assert_unavailable(response, *, within: float, started: float) -> None:
    assert time.monotonic() - started < within
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == BODY


def test_with_the_database_down_chat_login_profile_and_page_answer_503_json_fast(api_client, break_database, caplog):
    caplog.set_level(logging.WARNING)
    caplog.set_level(logging.INFO, logger="executions.turns")
    user = UserFactory()
    bot = published_bot(owner=user)
    started = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    session_id = started.json()["session_id"]
    saved = dict(connection.settings_dict)
    break_database()

    requests = [
        lambda: api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json"),
        lambda: api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Ana"}, format="json"),
        lambda: api_client.get(f"/api/flows/public/sessions/{session_id}/"),
        lambda: api_client.get(f"/api/flows/public/{bot.public_id}/"),
        lambda: api_client.post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}),
        lambda: api_client.get(f"/chat/{bot.public_id}/"),
    ]
    for request in requests:
        began = time.monotonic()
        assert_unavailable(request(), within=2.0, started=began)

    # Logged once for the outage, not once per request (nor as a 503 per request).
    (outage,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert outage.name == "config.database"
    assert "database is unavailable" in outage.getMessage()
    # The chat request lines say what the visitor got.
    turns = [r for r in caplog.records if r.name == "executions.turns"][1:]  # after the first start
    assert {(r.kind, r.status, r.error) for r in turns} == {
        ("start", 503, "OperationalError"),
        ("reply", 503, "OperationalError"),
        ("read", 503, "OperationalError"),
    }

    # Back: the same process serves again, no restart.
    restore(saved)
    replied = api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Ana"}, format="json")
    assert replied.status_code == 200
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200


def test_healthz_answers_503_json_while_the_database_is_down_and_200_when_back(client, break_database):
    saved = dict(connection.settings_dict)
    break_database()
    began = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - began < 2.0
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"status": "error", "database": "unavailable", **BODY}
    restore(saved)
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_admin_pages_answer_a_plain_503(client, break_database):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    break_database()
    response = client.get("/admin/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    assert response["Retry-After"] == "5"
    assert "database is unavailable" in response.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL connect timeout")
def test_a_server_that_never_answers_costs_a_request_the_connect_timeout_not_a_hang(api_client, break_database):
    bot = published_bot()
    saved = dict(connection.settings_dict)
    with socket.socket() as silent:  # the kernel accepts connections (backlog); nobody answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        connection.close()
        connection.settings_dict.update(
            HOST="127.0.0.1",
            PORT=silent.getsockname()[1],
            OPTIONS={**saved["OPTIONS"], "connect_timeout": 2},  # libpq's floor
        )
        began = time.monotonic()
        response = api_client.get(f"/api/flows/public/{bot.public_id}/")
        assert_unavailable(response, within=4.0, started=began)
    restore(saved)
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200


@pytest.mark.requires_postgres
def test_a_connection_the_server_dropped_is_replaced_at_the_next_request(api_client):
    """What a PostgreSQL restart does to the persistent connections of the app processes."""
    bot = published_bot()
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200
    pid = connection.connection.info.backend_pid

    def drop_the_connection():
        with psycopg.connect(**connection.get_connection_params()) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    # A request already under way when the server drops its connection answers 503...
    drop_the_connection()
    assert_unavailable(api_client.get(f"/api/flows/public/{bot.public_id}/"), within=2.0, started=time.monotonic())
    # ...and at the end of each request (as the WSGI handler does; the test client does not),
    # the broken connection is closed; the next request connects afresh.
    close_old_connections()
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200

    # A connection dropped between requests fails its health check at the next one and is
    # replaced there: that request is served (CONN_HEALTH_CHECKS).
    pid = connection.connection.info.backend_pid
    drop_the_connection()
    close_old_connections()  # what a request's start does
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200
    assert connection.connection.info.backend_pid != pid


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
def test_sqlite_locked_past_its_busy_timeout_answers_503_not_500(api_client):
    bot = published_bot()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100")
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
        began = time.monotonic()
        response = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
        assert_unavailable(response, within=2.0, started=began)
    finally:
        holder.rollback()
        holder.close()
        connection.close()  # drops the short busy timeout
    assert api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").status_code == 201


class _PostgresWrapper:
    """What Django's error wrapper reads of a PostgreSQL connection (whatever the test database)."""

    Database = psycopg
    errors_occurred = False


def _django_error(driver_error: Exception) -> Exception:
    """`driver_error` as Django raises it from a PostgreSQL connection."""
    try:
        with DatabaseErrorWrapper(_PostgresWrapper()):
            raise driver_error
    except Exception as exc:
        return exc
    raise AssertionError("not raised")


@pytest.mark.parametrize(
    ("driver_error", "unavailable"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.ConnectionTimeout("connection timeout expired"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.TooManyConnections("sorry, too many clients already"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.errors.DeadlockDetected("deadlock detected"), False),
        (psycopg.errors.LockNotAvailable("could not obtain lock"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_only_connection_level_errors_count_as_the_database_being_unavailable(driver_error, unavailable):
    assert database.database_unavailable(_django_error(driver_error)) is unavailable


def test_a_query_error_stays_a_500_and_is_not_logged_as_an_outage(caplog):
    request = RequestFactory().get("/api/chatbots/")
    middleware = database.DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(request, IntegrityError("duplicate key")) is None
    assert not [r for r in caplog.records if r.name == "config.database"]


def test_a_database_error_raised_outside_a_view_answers_503_too():
    request = RequestFactory().post("/api/auth/login/")
    try:
        raise _django_error(psycopg.OperationalError("server closed the connection unexpectedly"))
    except Exception:
        response = views.handler500(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
