"""The SQLite backend's writer queue (config/db/sqlite3): transactions take turns on a file
lock, and every way a transaction ends gives the lock back."""

import fcntl
import os
import threading

from django.db import OperationalError, connection, transaction

import pytest

from config.db.sqlite3 import base as sqlite_backend
from integrations.models import OutboxEvent
from tests.factories import ChatbotFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backend only"),
]


def _queue_is_free() -> bool:
    fd = os.open(f"{connection.settings_dict['NAME']}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_a_transaction_holds_the_queue_until_it_commits():
    with transaction.atomic():
        ChatbotFactory()
        assert not _queue_is_free()
    assert _queue_is_free()


def test_a_rolled_back_transaction_gives_the_queue_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        ChatbotFactory()
        raise RuntimeError("boom")
    assert _queue_is_free()


def test_closing_the_connection_mid_transaction_gives_the_queue_back():
    with transaction.atomic():
        ChatbotFactory()
        connection.close()
        assert _queue_is_free()
    assert _queue_is_free()


def test_concurrent_transactions_from_many_threads_all_commit():
    bot = ChatbotFactory()
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with transaction.atomic():
                    OutboxEvent.objects.create(chatbot_id=bot.pk, type="session.started", data={"n": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert OutboxEvent.objects.count() == 120
    assert _queue_is_free()


def _hold_queue() -> int:
    fd = os.open(f"{connection.settings_dict['NAME']}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_stuck_transaction_holds_the_queue_no_longer_than_the_busy_timeout(monkeypatch):
    # The turn of a transaction that outlives the busy timeout goes to the next writer, which
    # then waits on SQLite's own lock and fails as SQLite would: "database is locked", not a hang.
    monkeypatch.setattr(sqlite_backend, "WATCH_SECONDS", 0.05)
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.3)
    connection.close()  # reconnect with the short busy timeout
    holding, release, errors = threading.Event(), threading.Event(), []

    def stuck() -> None:
        try:
            with transaction.atomic():
                ChatbotFactory()
                holding.set()
                release.wait(20)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=stuck)
    thread.start()
    try:
        assert holding.wait(20)
        with pytest.raises(OperationalError, match="database is locked"), transaction.atomic():
            ChatbotFactory()
    finally:
        release.set()
        thread.join(20)
    assert errors == []
    assert _queue_is_free()
    with transaction.atomic():
        ChatbotFactory()
    assert _queue_is_free()


def test_a_writer_that_waited_for_the_queue_gets_it_when_the_holder_lets_go():
    holder = _hold_queue()
    written = threading.Event()

    def write() -> None:
        try:
            with transaction.atomic():
                ChatbotFactory()
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert not written.wait(0.3)  # waiting in the queue
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
    thread.join(20)
    assert written.is_set()
    assert _queue_is_free()
