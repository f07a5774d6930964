"""Faults the deployment survives: PostgreSQL stopping under traffic, Redis going away.

Both tests put the service back before they end (the cluster is shared by the session)."""

import json
import re
import threading
import time

import requests

from tests.cluster.bots import SIGN_UP, bot_publish
from tests.cluster.harness import PROXY_HEADERS, wait_for

# The answer of any request while the database is unreachable (docs/errors.md).
DB_DOWN_BODY = {"detail": "The database is unavailable; try again shortly.", "code": "database_unavailable"}
# No request may take longer than this while a service is down: a bounded wait, never a hang.
BOUND_SECONDS = 5.0


class Traffic:
    """Visitors chatting and an owner listing bots, on both servers, in background threads, with
    every answer recorded as (phase, path, status, seconds, content type, body)."""

    def __init__(self, urls: list[str], public_id: str, token: str, threads: int = 4):
        self.urls, self.public_id, self.token = urls, public_id, token
        self.phase = "before"
        self.answers: list[tuple[str, str, int, float, str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _call(self, http: requests.Session, method: str, url: str, **kwargs) -> requests.Response | None:
        phase, started = self.phase, time.monotonic()
        try:
            response = http.request(method, url, timeout=BOUND_SECONDS * 3, **kwargs)
        except requests.RequestException as exc:  # a hang or a dropped connection: recorded as such
            with self._lock:
                self.answers.append((phase, url, 0, time.monotonic() - started, "", repr(exc)))
            return None
        with self._lock:
            self.answers.append(
                (
                    phase,
                    url.split("/api/", 1)[-1],
                    response.status_code,
                    time.monotonic() - started,
                    response.headers.get("Content-Type", ""),
                    response.text[:300],
                )
            )
        return response

    def _run(self, n: int) -> None:
        with requests.Session() as http:
            http.headers.update(PROXY_HEADERS)
            while not self._stop.is_set():
                base = self.urls[n % 2]
                n += 1
                started = self._call(http, "POST", f"{base}/api/flows/public/{self.public_id}/start/")
                if started is not None and started.status_code == 201:
                    session = started.json()["session_id"]
                    other = self.urls[n % 2]
                    self._call(http, "GET", f"{other}/api/flows/public/sessions/{session}/")
                    self._call(
                        http, "POST", f"{other}/api/flows/public/sessions/{session}/reply/", json={"value": "Ana"}
                    )
                self._call(http, "GET", f"{base}/api/chatbots/", headers={"Authorization": f"Bearer {self.token}"})
                time.sleep(0.05)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(BOUND_SECONDS * 4)


REDIS_WARNING = re.compile(r"warning.*redis|redis.*warning", re.IGNORECASE)


def test_redis_going_away_leaves_chat_working_healthz_degraded_and_one_warning_per_interval(cluster, visitor, owner):
    bot = bot_publish(owner, "redis outage", SIGN_UP)
    logged_before = {server.name: len(server.process.output()) for server in cluster.servers}
    cluster.redis.kill()
    try:
        conversations = 0
        # Longer than the few seconds a process skips Redis after a failure: it tries again and
        # fails again, without logging again.
        until = time.monotonic() + 8
        while time.monotonic() < until:
            server = conversations
            started = time.monotonic()
            turn = visitor.ok("POST", f"/api/flows/public/{bot['public_id']}/start/", server=server, expect=201)
            for node_id, value in [("ask_name", "Ana"), ("ask_plan", "basic"), ("ask_email", "a@example.com")]:
                server += 1
                turn = visitor.ok(
                    "POST",
                    f"/api/flows/public/sessions/{turn['session_id']}/reply/",
                    json={"value": value, "node_id": node_id},
                    server=server,
                )
            assert turn["status"] == "completed"
            assert time.monotonic() - started < BOUND_SECONDS
            conversations += 1
        for server in (0, 1):
            health = visitor.call("GET", "/healthz", server=server)
            assert health.status_code == 200
            assert health.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
    finally:
        cluster.redis.start()
    assert conversations >= 4
    for server in cluster.servers:
        warnings = [
            line
            for line in server.process.output()[logged_before[server.name] :].splitlines()
            if REDIS_WARNING.search(line)
        ]
        # Once per interval in each worker process, however many requests met Redis down.
        assert 1 <= len(warnings) <= server.workers, warnings


def test_postgresql_stopping_under_traffic_gives_quick_503_json_and_the_same_processes_serve_once_it_is_back(
    cluster, owner, owner_token, visitor
):
    bot = bot_publish(owner, "database outage", SIGN_UP)
    pids = [server.pids() for server in cluster.servers]
    with Traffic(cluster.urls, bot["public_id"], owner_token) as traffic:
        time.sleep(1)
        traffic.phase = "down"
        cluster.postgres.stop("fast")
        try:
            time.sleep(1)
            for server in (0, 1):
                started = time.monotonic()
                health = visitor.call("GET", "/healthz", server=server, timeout=BOUND_SECONDS * 3)
                assert time.monotonic() - started < BOUND_SECONDS
                assert health.status_code == 503
                assert health.json()["database"] == "unavailable"
                started = time.monotonic()
                refused = visitor.call("POST", f"/api/flows/public/{bot['public_id']}/start/", server=server)
                assert time.monotonic() - started < BOUND_SECONDS
                assert refused.status_code == 503
                assert refused.headers["Retry-After"] == "5"
                assert refused.json() == DB_DOWN_BODY
            time.sleep(2)
        finally:
            traffic.phase = "restarting"
            cluster.postgres.start()
        traffic.phase = "back"
        time.sleep(2)

    slow = [answer for answer in traffic.answers if answer[3] >= BOUND_SECONDS or answer[2] == 0]
    assert slow == [], slow
    during = [answer for answer in traffic.answers if answer[0] == "down"]
    assert any(status == 503 for _, _, status, _, _, _ in during), during
    wrong = [
        answer
        for answer in traffic.answers
        if not (200 <= answer[2] < 300 or (answer[2] == 503 and answer[4] == "application/json"))
    ]
    assert wrong == [], wrong
    for _, _, status, _, _, body in traffic.answers:
        if status == 503:
            assert json.loads(body) == DB_DOWN_BODY

    # Back: the same gunicorn masters and workers serve again, nothing restarted.
    for server in (0, 1):
        wait_for(
            lambda server=server: visitor.call("GET", "/healthz", server=server).status_code == 200,
            timeout=20,
            what="/healthz to answer 200 again",
        )
    for n in range(16):
        turn = visitor.ok("POST", f"/api/flows/public/{bot['public_id']}/start/", server=n, expect=201)
        visitor.ok(
            "POST", f"/api/flows/public/sessions/{turn['session_id']}/reply/", json={"value": "Bo"}, server=n + 1
        )
        owner.ok("GET", "/api/chatbots/", server=n)
    assert [server.pids() for server in cluster.servers] == pids
