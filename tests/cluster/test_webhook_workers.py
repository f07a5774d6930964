"""Celery workers delivering the outbox: two of them never send one attempt twice, a worker
killed mid-delivery loses nothing, and a receiver that is down gets everything once it is up."""

import itertools
import signal
import time
from datetime import datetime

import pytest
import redis

from tests.cluster.bots import SIGN_UP, bot_publish
from tests.cluster.conftest import LEASE_SECONDS, RETRY_DELAYS
from tests.cluster.harness import Beat, celery_wait_ready, celery_worker, wait_for

START = "/api/flows/public/{}/start/"


@pytest.fixture
def start_worker(cluster):
    """Start a Celery worker (stopped at the end of the test). Tasks left in the queue by earlier
    tests (a publish queues one at once, and no worker was running) are dropped first: they
    would otherwise race this test's own for its deliveries."""
    started = []

    def start(name: str):
        redis.Redis.from_url(cluster.env["CELERY_BROKER_URL"]).delete("celery")
        worker = celery_worker(cluster.processes, name, cluster.env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def hooked_bot(owner, receiver, name: str, events: list[str]) -> tuple[dict, int]:
    bot = bot_publish(owner, name, SIGN_UP)
    webhook = owner.ok(
        "POST",
        "/api/integrations/webhooks/",
        json={"name": name, "url": receiver.url, "events": events, "chatbot": bot["id"]},
        expect=201,
    )
    return bot, webhook["id"]


def deliveries(owner, webhook: int) -> list[dict]:
    return owner.pages(f"/api/executions/webhooks/?webhook={webhook}&page_size=100")


def wait_delivered(owner, webhook: int, expected: int, timeout: float) -> list[dict]:
    found: list[dict] = []

    def done() -> bool:
        found[:] = deliveries(owner, webhook)
        return len(found) == expected and all(d["status"] == "delivered" for d in found)

    try:
        wait_for(done, timeout=timeout, what=f"{expected} deliveries to be delivered", interval=0.3)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}: {[(d['id'], d['status'], d['attempts']) for d in found]}") from None
    return found


def test_two_celery_workers_deliver_each_outbox_row_once_per_attempt(cluster, owner, visitor, receiver, start_worker):
    receiver.start()
    bot, webhook = hooked_bot(owner, receiver, "two workers", ["session.started", "input.received"])
    workers = [start_worker("worker1"), start_worker("worker2")]
    for worker in workers:
        celery_wait_ready(worker)
    sessions = 15
    with Beat(cluster.env["CELERY_BROKER_URL"]):
        # Events keep coming while both workers poll: each claim races the other worker's.
        for n in range(sessions):
            turn = visitor.ok("POST", START.format(bot["public_id"]), server=n, expect=201)
            visitor.ok(
                "POST",
                f"/api/flows/public/sessions/{turn['session_id']}/reply/",
                json={"value": f"V{n}", "node_id": "ask_name"},
                server=n + 1,
            )
        found = wait_delivered(owner, webhook, 2 * sessions, timeout=60)
    assert {d["id"] for d in found} == receiver.ids()
    assert all(receiver.count(d["id"]) == 1 for d in found)
    assert all(d["attempts"] == 1 for d in found)
    assert sorted(d["event_type"] for d in found) == ["input.received"] * sessions + ["session.started"] * sessions


def test_a_worker_killed_mid_delivery_loses_nothing_its_delivery_is_made_later_by_the_other(
    cluster, owner, visitor, receiver, start_worker
):
    def hold_the_first(delivery_id: str, seen: int) -> int | None:
        if receiver.holding.is_set():
            return 200
        receiver.holding.set()
        return None  # held open: the worker waits for an answer that never comes

    receiver.respond = hold_the_first
    receiver.start()
    bot, webhook = hooked_bot(owner, receiver, "killed worker", ["session.started"])
    doomed, survivor = start_worker("doomed"), start_worker("survivor")
    celery_wait_ready(doomed)
    celery_wait_ready(survivor)
    events = 6
    for n in range(events):
        visitor.ok("POST", START.format(bot["public_id"]), server=n, expect=201)
    # One run on the doomed worker alone: it claims every due delivery and holds the first.
    Beat(cluster.env["CELERY_BROKER_URL"]).app.send_task("integrations.tasks.deliver_due_webhooks", queue="doomed")
    assert receiver.holding.wait(30), doomed.output()[-3000:]
    held_at = time.monotonic()
    held = receiver.ids().pop()
    doomed.kill_group(signal.SIGKILL)
    doomed.popen.wait(10)
    receiver.release.set()
    assert survivor.alive()
    with Beat(cluster.env["CELERY_BROKER_URL"]):
        found = wait_delivered(owner, webhook, events, timeout=LEASE_SECONDS + 30)
    # The held delivery was sent again once the dead worker's lease ran out; nothing else twice.
    assert receiver.count(held) == 2
    assert receiver.times(held)[1] >= held_at + LEASE_SECONDS - 1
    assert all(receiver.count(d["id"]) == 1 for d in found if d["id"] != held)
    assert {d["id"] for d in found} == receiver.ids()
    # The killed attempt never finished, so it is not counted.
    assert all(d["attempts"] == 1 for d in found)


def test_a_receiver_down_for_a_while_gets_every_event_once_it_is_up_after_retries_as_configured(
    cluster, owner, visitor, receiver, start_worker
):
    # Down: nothing listens on the receiver's port. Then up but failing once (503), then well.
    receiver.respond = lambda delivery_id, seen: 503 if seen == 0 else 200
    bot, webhook = hooked_bot(owner, receiver, "receiver down", ["session.started"])
    workers = [start_worker("retry1"), start_worker("retry2")]
    for worker in workers:
        celery_wait_ready(worker)
    events = 5
    for n in range(events):
        visitor.ok("POST", START.format(bot["public_id"]), server=n, expect=201)
    with Beat(cluster.env["CELERY_BROKER_URL"]):

        def first_attempts_made() -> bool:
            found = deliveries(owner, webhook)
            return len(found) == events and all(d["attempts"] >= 1 for d in found)

        wait_for(first_attempts_made, timeout=30, what="the first attempts")
        receiver.start()
        found = wait_delivered(owner, webhook, events, timeout=30)
    assert all(d["attempts"] == 3 for d in found)
    assert all(receiver.count(d["id"]) == 2 for d in found)
    logs = owner.pages(f"/api/integrations/logs/?webhook={webhook}&page_size=100")
    for delivery in found:
        attempts = sorted((log for log in logs if log["delivery"] == delivery["id"]), key=lambda log: log["created_at"])
        assert [(log["success"], log["status_code"]) for log in attempts] == [(False, None), (False, 503), (True, 200)]
        assert "Connection" in attempts[0]["error"] or "refused" in attempts[0]["error"].lower(), attempts[0]
        # Each retry came no sooner than its configured delay after the attempt before it.
        times = [datetime.fromisoformat(log["created_at"]).timestamp() for log in attempts]
        for gap, delay in zip((b - a for a, b in itertools.pairwise(times)), RETRY_DELAYS, strict=False):
            assert gap >= delay - 0.05, (times, RETRY_DELAYS)
