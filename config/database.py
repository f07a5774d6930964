"""The database out of reach: a short 503 that says so, never a 500 or a hang.

A request that cannot reach the database (PostgreSQL stopped or restarting, a network cut, too
many connections; SQLite locked past its busy timeout) answers 503 with `Retry-After`, JSON
everywhere but the admin's HTML pages. The connection errors are told apart from the query's
own errors (a unique constraint, a bad value, a bug), which stay what they are. The outage is
logged at most once a minute per process, not once per request. Nothing is cached about the
failure: the next request tries the database again, so the same processes serve as soon as it
is back (settings.py turns on CONN_HEALTH_CHECKS, which replaces a persistent connection the
restart broke).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

from config.logs import AtMostEvery

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The database is unavailable; try again shortly."
CODE = "database_unavailable"
# Logged at most once per this many seconds per process while the outage lasts.
WARNING_INTERVAL = 60.0
_warning_due = AtMostEvery(WARNING_INTERVAL)

# PostgreSQL SQLSTATE classes that mean the server cannot serve this connection, whatever the
# query: 08 connection exception, 53 insufficient resources (too many connections, disk
# full), 57P operator intervention (shutdown, "the database system is starting up"). 57014
# (a statement timeout) and 40 (serialization failure, deadlock) are the query's own.
_PG_UNAVAILABLE_PREFIXES = ("08", "53", "57P")
# SQLite result codes (and their extended codes) of a database it cannot use now: locked by
# another writer past the busy timeout, a file it cannot open, read or grow.
_SQLITE_UNAVAILABLE_PREFIXES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or used now (as opposed to an error of
    the query itself). Django's errors carry the driver's as `__cause__`."""
    if isinstance(exc, InterfaceError):  # the connection is closed or broken
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlite_name = getattr(cause, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(_SQLITE_UNAVAILABLE_PREFIXES)
    if hasattr(cause, "sqlstate"):  # psycopg: no SQLSTATE when the client itself lost the server
        return cause.sqlstate is None or cause.sqlstate.startswith(_PG_UNAVAILABLE_PREFIXES)
    return False


def report_outage(exc: BaseException) -> None:
    """Log that the database is unavailable, at most once per WARNING_INTERVAL (no traceback:
    the cause is outside this process, and a traceback per request would flood the logs)."""
    if _warning_due():
        logger.error("The database is unavailable (%s: %s); answering 503 until it is back.", type(exc).__name__, exc)


def unavailable_response(request) -> HttpResponse:
    if request.path_info.startswith("/admin/"):
        response = HttpResponse(f"503 Service Unavailable. {DETAIL}\n", status=503, content_type="text/plain")
    else:
        response = JsonResponse({"detail": DETAIL, "code": CODE}, status=503)
    return quiet(response)


def quiet(response: HttpResponse) -> HttpResponse:
    """Retry-After, and keep Django from logging the 503 as an error once per request (the
    outage is logged once a minute by report_outage)."""
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # what django.utils.log.log_response checks
    return response


class DatabaseUnavailableMiddleware:
    """Answers 503 to a view that could not reach the database (see the module docstring).

    It must come after ApiErrorMiddleware in MIDDLEWARE: exceptions go to the last one first,
    and ApiErrorMiddleware answers any exception under /api/ with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        report_outage(exception)
        return unavailable_response(request)


def unavailable_response_for_current_error(request) -> HttpResponse | None:
    """For handler500: the 503 when the error being handled (one raised outside a view, e.g.
    by a middleware saving the session) is the database being unavailable."""
    exc = sys.exc_info()[1]
    if exc is None or not database_unavailable(exc):
        return None
    report_outage(exc)
    return unavailable_response(request)
