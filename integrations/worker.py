"""Who runs the deliveries (`integrations.delivery.deliver_due`), as WEBHOOK_DELIVERY says:

- "worker": `manage.py deliver_webhooks` runs apart and polls (production default);
- "celery": beat runs the task every few seconds; an urgent kick queues a run at once;
- "thread": a background thread in each web process, woken by every kick (development).
"""

import logging
import threading

from django.conf import settings
from django.db import connection, transaction

from kombu.exceptions import OperationalError as BrokerUnavailable

from integrations.delivery import deliver_due
from integrations.tasks import deliver_due_webhooks

logger = logging.getLogger(__name__)

_thread_lock = threading.Lock()
_thread_wakeup = threading.Event()
_thread: threading.Thread | None = None


def _delivery_loop() -> None:
    while True:
        _thread_wakeup.wait(timeout=5)
        _thread_wakeup.clear()
        try:
            while deliver_due():
                pass
        except Exception:
            logger.exception("In-process webhook delivery failed; retrying shortly")
        finally:
            connection.close()


def deliveries_kick(*, urgent: bool = False) -> None:
    """Ask for a delivery run soon, after the current transaction commits (never inside it).

    The in-process fallback is woken every time; with Celery, beat polls every few seconds and
    only `urgent` kicks (an owner's retry, a publish) queue a run at once."""
    if settings.WEBHOOK_DELIVERY == "thread":
        transaction.on_commit(_thread_start)
    elif settings.WEBHOOK_DELIVERY == "celery" and urgent:
        transaction.on_commit(_queue_delivery_run)


def _queue_delivery_run() -> None:
    """The urgent kick, after the commit. With the broker (Redis) down it is dropped, rather
    than answering 500 to a request whose change is saved, or making it wait out Celery's
    publish retries: the outbox row is there, and beat's next run delivers it."""
    try:
        # One connection attempt (the pooled producer would retry for seconds first).
        with deliver_due_webhooks.app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=0)
            deliver_due_webhooks.apply_async(connection=broker, retry=False)
    except BrokerUnavailable as exc:
        logger.warning("Could not queue a webhook delivery run (%s); the next scheduled run delivers.", exc)


def _thread_start() -> None:
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_delivery_loop, name="webhook-delivery", daemon=True)
            _thread.start()
    _thread_wakeup.set()
