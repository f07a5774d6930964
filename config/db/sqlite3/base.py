"""Django's SQLite backend with two changes for a database many processes write to.

- The real bound-variable limit of the linked library: Django assumes the old compile-time
  default of 999, so bulk writes of a 1,000-node graph are split into a dozen statements.
  SQLite 3.32+ allows 32,766, so a graph save takes a constant number of queries here as it
  does on PostgreSQL. Django 6.0 reads the same limit itself: drop `DatabaseFeatures` and
  `variable_limit` below when upgrading to it.
- A writer queue for IMMEDIATE transactions. SQLite lets one writer in at a time, and a
  writer that finds the lock taken sleeps and polls (1 ms, 2 ms, 5 ms, ... 100 ms between
  tries, up to the busy timeout), so under concurrent chat replies the lock sits free while
  waiters sleep, and an unlucky one keeps losing. Before BEGIN IMMEDIATE a transaction takes
  an exclusive lock on a file next to the database, and it releases it when it commits or
  rolls back: the kernel wakes the next writer the moment the lock is free. Writes outside
  transactions still wait on SQLite's own lock.

  The wait is bounded: a transaction keeps its turn at most the connection's busy timeout
  (OPTIONS["timeout"]); past it, a watchdog thread of its process hands the turn on (the
  transaction goes on, holding SQLite's own lock, and the next writer waits for that lock
  as SQLite would, up to the busy timeout, then fails with "database is locked"). So a stuck
  transaction delays other writers by at most twice the busy timeout, never forever; a
  process that dies gives its turn back at once (the kernel drops its locks).

  What earns the queue its place (`python -m bench.chat --connections 64 --gunicorn-threads 16`
  serves the same database through Django's stock backend beside it, in alternating rounds):
  with 32 writer threads, chat replies' p99 was 278-357 ms with the queue (as bounded here)
  against 876-972 ms without, at the same or better throughput (stock: 87% of the queue's
  replies per second in both runs). At 16 connections the two are within the machine's noise.
"""

import logging
import os
import sqlite3
import threading
import time

try:
    import fcntl
except ImportError:  # Windows: no writer queue, SQLite's own busy wait only
    fcntl = None

from django.db.backends.sqlite3 import base, features

logger = logging.getLogger(__name__)

# SQLite's own default busy timeout (sqlite3.connect), when OPTIONS sets none.
DEFAULT_TIMEOUT = 5.0
# How often the watchdog looks for a transaction that kept its turn too long.
WATCH_SECONDS = 1.0


class DatabaseFeatures(features.DatabaseFeatures):
    @property
    def max_query_params(self):
        return self.connection.variable_limit


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    variable_limit = 999

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        self.variable_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return conn

    _queue_fd: int | None = None

    def _queue_path(self) -> str | None:
        if fcntl is None or self.transaction_mode != "IMMEDIATE" or self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writers.lock"

    def _start_transaction_under_autocommit(self):
        path = self._queue_path()
        if path is not None:
            if self._queue_fd is None:
                self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            # Waits in the kernel: woken the moment the turn is free (see the module docstring
            # for what bounds the wait).
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
            _turns.take(self, float(self.settings_dict["OPTIONS"].get("timeout", DEFAULT_TIMEOUT)))
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        _turns.give_back(self)

    def _commit(self):
        super()._commit()  # if COMMIT fails, the rollback that follows leaves the queue
        self._leave_queue()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._leave_queue()

    def _close(self):
        try:
            super()._close()
        finally:
            self._leave_queue()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None


class _Turns:
    """The connections of this process that hold the writer queue, and until when they may.

    One lock guards the holders, so a turn is released exactly once: by its connection when the
    transaction ends, or by the watchdog when it ran out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[int, tuple[DatabaseWrapper, float]] = {}
        self._watchdog: threading.Thread | None = None

    def take(self, connection: DatabaseWrapper, seconds: float) -> None:
        with self._lock:
            self._holders[id(connection)] = (connection, time.monotonic() + seconds)
            if self._watchdog is None or not self._watchdog.is_alive():
                self._watchdog = threading.Thread(target=self._watch, name="sqlite-writer-queue", daemon=True)
                self._watchdog.start()

    def give_back(self, connection: DatabaseWrapper) -> None:
        with self._lock:
            if self._holders.pop(id(connection), None) is not None:
                fcntl.flock(connection._queue_fd, fcntl.LOCK_UN)

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            now = time.monotonic()
            with self._lock:
                overdue = [key for key, (_, deadline) in self._holders.items() if deadline < now]
                for key in overdue:
                    connection, _ = self._holders.pop(key)
                    fcntl.flock(connection._queue_fd, fcntl.LOCK_UN)
            for _ in overdue:
                logger.warning(
                    "A transaction kept the SQLite writer queue past the busy timeout; the next writer goes ahead "
                    "and waits for SQLite's own lock."
                )


_turns = _Turns()
