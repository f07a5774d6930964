"""Django's SQLite backend with two changes for a database many processes write to.

- The real bound-variable limit of the linked library: Django assumes the old compile-time
  default of 999, so bulk writes of a 1,000-node graph are split into a dozen statements.
  SQLite 3.32+ allows 32,766, so a graph save takes a constant number of queries here as it
  does on PostgreSQL.
- A writer queue for IMMEDIATE transactions. SQLite lets one writer in at a time, and a
  writer that finds the lock taken sleeps and polls (1 ms, 2 ms, 5 ms, ... up to the busy
  timeout), so under concurrent chat replies the lock sits free while waiters sleep. Before
  BEGIN IMMEDIATE a transaction takes an exclusive lock on a file next to the database, and
  it releases it when it commits or rolls back: the kernel wakes the next writer the moment
  the lock is free. Writes outside transactions still wait on SQLite's own lock.
"""

import os
import sqlite3

try:
    import fcntl
except ImportError:  # Windows: no writer queue, SQLite's own busy wait only
    fcntl = None

from django.db.backends.sqlite3 import base, features


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
    _queued = False

    def _queue_path(self) -> str | None:
        if fcntl is None or self.transaction_mode != "IMMEDIATE" or self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writers.lock"

    def _start_transaction_under_autocommit(self):
        path = self._queue_path()
        if path is not None:
            if self._queue_fd is None:
                self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            # Unbounded, like a row lock on PostgreSQL: the holder is a live transaction, and
            # the kernel releases the lock if its process dies.
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
            self._queued = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _leave_queue(self) -> None:
        if self._queued:
            self._queued = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

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
