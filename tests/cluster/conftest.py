"""The cluster tests: the deployment's shape with real processes (`make cluster-test`).

A throwaway PostgreSQL cluster and redis-server on free ports, migrated once, and two gunicorn
app servers on them with production settings (DEBUG off). The tests talk to the servers over
HTTP only. They start processes and take a minute or two, so the ordinary `make test` run
skips them; `make cluster-test` sets CLUSTER_TESTS=1.
"""

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.cluster.harness import PYTHON, ROOT, Api, AppServer, Postgres, Processes, Receiver, Redis
from tests.network import free_port

SKIP_REASON = "cluster tests start PostgreSQL, Redis and gunicorn processes: run them with `make cluster-test`"
# The throttle test's scope and limit (the public profile: no other cluster test reads it).
PROFILE_LIMIT = 7
# Short retry delays and lease, so that retries and a dead worker's takeover fit in a test.
RETRY_DELAYS = (2, 2, 2)
LEASE_SECONDS = 4
RECEIVER_PORTS = 6


def _ours(item) -> bool:
    return Path(__file__).parent in Path(item.fspath).parents


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CLUSTER_TESTS") != "1":
        skip = pytest.mark.skip(reason=SKIP_REASON)
        for item in items:
            if _ours(item):
                item.add_marker(skip)
        return
    # The fault tests last: they stop the services that the other tests share.
    items.sort(key=lambda item: _ours(item) and item.module.__name__.endswith(".test_faults"))


def pytest_collection_finish(session):
    if os.environ.get("CLUSTER_TESTS") == "1":
        for module in {item.module for item in session.items if _ours(item)}:
            if hasattr(module, "MAKE_RUN"):
                module.MAKE_RUN.prepare()


def pytest_sessionfinish(session):
    for module in {item.module for item in getattr(session, "items", []) if _ours(item)}:
        if hasattr(module, "MAKE_RUN"):
            module.MAKE_RUN.cleanup()


@dataclass
class Cluster:
    folder: Path
    processes: Processes
    postgres: Postgres
    redis: Redis
    env: dict
    servers: list[AppServer] = field(default_factory=list)
    receiver_ports: list[int] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def api(self, token: str | None = None) -> Api:
        return Api(self.urls, token)

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def production_env(*, database_url: str, redis_url: str, folder: Path, receiver_ports: list[int]) -> dict:
    """What an operator sets on every app server and worker (README, Deployment)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=f"{redis_url}/0",
        CELERY_BROKER_URL=f"{redis_url}/1",
        MEDIA_ROOT=str(folder / "media"),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        JWT_ACCESS_TOKEN_MINUTES="60",
        # Every client of these tests is 127.0.0.1: the chat and sign-up limits would count them
        # all as one visitor. The throttle test has its own scope (the profile) set low.
        THROTTLE_RATE_AUTH="10000/min",
        THROTTLE_RATE_CHAT_START="100000/min",
        THROTTLE_RATE_CHAT_REPLY="100000/min",
        THROTTLE_RATE_CHAT_PROFILE=f"{PROFILE_LIMIT}/hour",
        WEBHOOK_RETRY_DELAYS=",".join(map(str, RETRY_DELAYS)),
        WEBHOOK_LEASE_SECONDS=str(LEASE_SECONDS),
        # Longer than a held delivery lasts in the SIGKILL test: the worker must be waiting on it.
        WEBHOOK_TIMEOUT="30",
        OUTBOUND_ALLOWED_HOSTS=",".join(f"127.0.0.1:{port}" for port in receiver_ports),
    )
    return env


@pytest.fixture(scope="session")
def cluster():
    folder = Path(tempfile.mkdtemp(prefix="cluster-test-"))
    folder.chmod(0o755)  # the postgres account reads its data folder inside
    processes = Processes(folder)
    postgres = Postgres(folder, free_port())
    try:
        postgres.init()
        redis = Redis(processes, free_port())
        redis.start()
        ports = [free_port() for _ in range(RECEIVER_PORTS)]
        env = production_env(database_url=postgres.url, redis_url=redis.url, folder=folder, receiver_ports=ports)
        found = Cluster(folder, processes, postgres, redis, env, receiver_ports=ports)
        # The servers boot (imports, no query) while the database is migrated.
        migrate = processes.start("migrate", [PYTHON, "manage.py", "migrate", "--noinput"], env=env)
        found.servers = [AppServer(processes, f"app{n}", env) for n in (1, 2)]
        assert migrate.popen.wait(300) == 0, migrate.output()
        for server in found.servers:
            server.wait_ready()
        yield found
    finally:
        processes.stop_all()
        postgres.stop("immediate")
        if os.environ.get("CLUSTER_KEEP_LOGS") != "1":
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def owner_token(cluster) -> str:
    password = secrets.token_urlsafe(16)
    body = cluster.api().ok(
        "POST",
        "/api/auth/register/",
        json={"username": "owner", "email": "owner@example.com", "password": password, "password_confirm": password},
        expect=201,
    )
    return body["access"]


@pytest.fixture
def owner(cluster, owner_token) -> Api:
    return cluster.api(owner_token)


@pytest.fixture
def visitor(cluster) -> Api:
    return cluster.api()


@pytest.fixture
def receiver(cluster, request):
    """A webhook receiver on one of the ports the servers allow (one per test)."""
    used = getattr(cluster, "_receivers_used", 0)
    cluster._receivers_used = used + 1
    found = Receiver(cluster.receiver_ports[used % len(cluster.receiver_ports)])
    yield found
    found.stop()
