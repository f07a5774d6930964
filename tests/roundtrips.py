"""Counts what a request costs the database and Redis: statements and network round trips.

- PostgreSQL: libpq's protocol trace of the connection; every wait for the server ends with a
  ReadyForQuery message, so those are the round trips (BEGIN and COMMIT included).
- SQLite: the library's statement trace. It runs in-process, so a "round trip" is one call
  into it that stands alone: a statement outside a transaction, or a whole transaction.
- Redis: every packed command (or pipeline) written to a connection is one round trip.
"""

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection

import redis.connection


@dataclass
class Counted:
    statements: int = 0
    database_round_trips: int = 0
    redis_round_trips: int = 0
    sql: list[str] = field(default_factory=list)

    @property
    def round_trips(self) -> int:
        return self.database_round_trips + self.redis_round_trips


@contextlib.contextmanager
def count_round_trips() -> Iterator[Counted]:
    counted = Counted()
    send = redis.connection.AbstractConnection.send_packed_command

    def counting_send(self, command, check_health=True):
        counted.redis_round_trips += 1
        return send(self, command, check_health)

    connection.ensure_connection()
    with mock.patch.object(redis.connection.AbstractConnection, "send_packed_command", counting_send):
        if connection.vendor == "postgresql":
            with _postgres_trace(counted):
                yield counted
        else:
            with _sqlite_trace(counted):
                yield counted


@contextlib.contextmanager
def _postgres_trace(counted: Counted) -> Iterator[None]:
    import psycopg

    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)
        try:
            yield
        finally:
            pgconn.untrace()
        trace.seek(0)
        for line in trace.read().decode("utf-8", "replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            direction, message = parts[0], parts[2]
            if direction == "B" and message == "ReadyForQuery":
                counted.database_round_trips += 1
            elif direction == "F" and message in ("Query", "Execute"):
                counted.statements += 1
            if direction == "F" and message in ("Query", "Parse"):
                counted.sql.append(parts[3].strip() if len(parts) > 3 else "")


@contextlib.contextmanager
def _sqlite_trace(counted: Counted) -> Iterator[None]:
    in_transaction = False

    def trace(sql: str) -> None:
        nonlocal in_transaction
        counted.statements += 1
        counted.sql.append(sql)
        keyword = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if keyword == "BEGIN":
            in_transaction = True
            counted.database_round_trips += 1
        elif keyword in ("COMMIT", "ROLLBACK", "END"):
            in_transaction = False
        elif not in_transaction:
            counted.database_round_trips += 1

    connection.connection.set_trace_callback(trace)
    try:
        yield
    finally:
        connection.connection.set_trace_callback(None)
