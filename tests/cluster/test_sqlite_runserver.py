"""The default set-up (`make run`: runserver on a SQLite file) under concurrent writers at its
own scale: 16 visitors chatting while a builder edits the graph and publishes. SQLite has one
writer at a time; none of them may ever see "database is locked" or a server error."""

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import requests

from executions.management.commands.setup_demo import DEMO_BOT_NAME, DEMO_PASSWORD, DEMO_USERNAME
from tests.cluster.harness import PYTHON, Process, Processes, free_port, port_open, wait_for

VISITORS = 16
CONVERSATIONS_EACH = 3
BUILDER_ROUNDS = 6
DEMO_ANSWERS = [("ask_name", "Ana"), ("ask_email", "ana@example.com"), ("ask_goal", "build"), ("ask_score", 9)]


class MakeRun:
    """`make run`'s set-up on a SQLite file of its own: migrate and setup_demo (in a thread, started
    as soon as the tests are collected: the cluster tests mostly wait meanwhile), then runserver."""

    def __init__(self):
        self.folder: Path | None = None
        self.thread: threading.Thread | None = None
        self.failure: str | None = None

    def prepare(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="sqlite-run-"))
        self.processes = Processes(self.folder)
        self.port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
        for key in ("REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
            env.pop(key, None)
        env.update(
            DEBUG="True",
            DATABASE_URL=f"sqlite:///{self.folder / 'db.sqlite3'}",
            MEDIA_ROOT=str(self.folder / "media"),
            PYTHONUNBUFFERED="1",
            # All 16 visitors are 127.0.0.1 here: the per-address chat limits would count them as one.
            THROTTLE_RATE_CHAT_START="100000/min",
            THROTTLE_RATE_CHAT_REPLY="100000/min",
        )
        self.env = env
        self.thread = threading.Thread(target=self._prepare, daemon=True)
        self.thread.start()

    def _prepare(self) -> None:
        for command in (["migrate", "--noinput"], ["setup_demo", "--base-url", f"http://127.0.0.1:{self.port}"]):
            done = self.processes.start(command[0], [PYTHON, "manage.py", *command], env=self.env)
            if done.popen.wait(300) != 0:
                self.failure = done.output()
                return

    def serve(self) -> tuple[str, Process]:
        if self.thread is None:
            self.prepare()
        self.thread.join(300)
        assert self.failure is None, self.failure
        server = self.processes.start(
            "runserver", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{self.port}"], env=self.env
        )
        wait_for(lambda: port_open(self.port), timeout=60, what="runserver")
        return f"http://127.0.0.1:{self.port}", server

    def cleanup(self) -> None:
        if self.folder is None:
            return
        if self.thread is not None:
            self.thread.join(300)
        self.processes.stop_all()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


MAKE_RUN = MakeRun()


@pytest.fixture(scope="module")
def make_run_server():
    try:
        yield MAKE_RUN.serve()
    finally:
        MAKE_RUN.cleanup()


class Log:
    def __init__(self):
        self.answers: list[tuple[str, str, int, str]] = []
        self.lock = threading.Lock()

    def record(self, who: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.answers.append((who, f"{response.request.method} {response.url}", response.status_code, response.text))
        return response


def visit(base: str, public_id: str, log: Log, completed: list, n: int, building: threading.Event) -> None:
    """Conversations one after another, at least CONVERSATIONS_EACH, for as long as the builder works."""
    done = 0
    with requests.Session() as http:
        while done < CONVERSATIONS_EACH or building.is_set():
            done += 1
            turn = log.record(f"visitor{n}", http.post(f"{base}/api/flows/public/{public_id}/start/", timeout=60))
            if turn.status_code != 201:
                return
            session = f"{base}/api/flows/public/sessions/{turn.json()['session_id']}/"
            for node_id, value in DEMO_ANSWERS:
                reply = http.post(f"{session}reply/", json={"value": value, "node_id": node_id}, timeout=60)
                if log.record(f"visitor{n}", reply).status_code != 200:
                    return
                log.record(f"visitor{n}", http.get(session, timeout=60))
            if reply.json()["status"] == "completed":
                completed.append(n)


def build(base: str, log: Log, building: threading.Event, counts: dict) -> None:
    """A builder's session: saves of a node and an edge, a publish every third round."""
    with requests.Session() as http:
        credentials = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
        login = http.post(f"{base}/api/auth/login/", json=credentials, timeout=60)
        token = log.record("builder", login).json()["access"]
        http.headers["Authorization"] = f"Bearer {token}"
        bot = next(
            b for b in http.get(f"{base}/api/chatbots/", timeout=60).json()["results"] if b["name"] == DEMO_BOT_NAME
        )
        flow = bot["main_flow"]
        nodes = http.get(f"{base}/api/components/instances/?flow={flow}&page_size=100", timeout=60).json()["results"]
        edges = http.get(f"{base}/api/components/connections/?flow={flow}&page_size=100", timeout=60).json()["results"]
        hello = next(node["id"] for node in nodes if node["node_id"] == "hello")
        fan = next(edge["id"] for edge in edges if edge["edge_id"] == "e-happy-fan")
        for n in range(1, BUILDER_ROUNDS + 1):
            text = {"data": {"text": f"Hi! Edit {n}."}}
            log.record("builder", http.patch(f"{base}/api/components/instances/{hello}/", json=text, timeout=60))
            target = {"target": "bye" if n % 2 else "thanks_fan"}
            log.record("builder", http.patch(f"{base}/api/components/connections/{fan}/", json=target, timeout=60))
            counts["saves"] += 2
            if n % 3 == 0:
                published = http.post(f"{base}/api/chatbots/{bot['id']}/publish/", json={}, timeout=60)
                if log.record("builder", published).status_code == 201:
                    counts["publishes"] += 1
    building.clear()


def test_sixteen_visitors_and_a_builder_on_the_sqlite_default_never_see_database_is_locked(make_run_server):
    base, server = make_run_server
    demo = requests.get(f"{base}/api/chatbots/", timeout=30)  # anonymous: 401, the server is up
    assert demo.status_code == 401
    public_id = re.search(r"public id (\S+)\)", (server.log.parent / "setup_demo.log").read_text()).group(1)
    log, completed, building, counts = Log(), [], threading.Event(), {"saves": 0, "publishes": 0}
    building.set()
    builder = threading.Thread(target=build, args=(base, log, building, counts))
    visitors = [
        threading.Thread(target=visit, args=(base, public_id, log, completed, n, building)) for n in range(VISITORS)
    ]
    builder.start()
    for thread in visitors:
        thread.start()
    builder.join(120)
    building.clear()  # also when the builder failed early
    for thread in visitors:
        thread.join(120)

    locked = [answer for answer in log.answers if "database is locked" in answer[3]]
    assert locked == []
    errors = [answer for answer in log.answers if answer[2] >= 500]
    assert errors == []
    unexpected = [answer for answer in log.answers if answer[2] not in (200, 201)]
    assert unexpected == []
    assert len(completed) >= VISITORS * CONVERSATIONS_EACH
    assert set(completed) == set(range(VISITORS))
    assert counts == {"saves": 2 * BUILDER_ROUNDS, "publishes": BUILDER_ROUNDS // 3}
    assert "database is locked" not in server.output()
