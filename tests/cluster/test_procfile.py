"""The Procfile, run with honcho as the README says: HAProxy in front of two gunicorn app servers,
a Celery worker and beat, on the cluster's PostgreSQL and Redis. A visitor chats through the
load balancer, both app servers answer, and beat's periodic run has the worker deliver a webhook.

Needs Debian's haproxy and honcho (requirements-deploy.txt; `make cluster-test` installs it in
a virtualenv of its own and passes HONCHO). Skipped without them, unless
CLUSTER_PROCFILE_REQUIRED=1 (CI), where it fails instead.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.cluster.bots import SIGN_UP, bot_publish, texts
from tests.cluster.harness import PYTHON, ROOT, Api, wait_for
from tests.network import free_port

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
HONCHO = os.environ.get("HONCHO") or shutil.which("honcho")


@pytest.fixture
def procfile_deployment(cluster, receiver):
    missing = [name for name, path in (("haproxy", HAPROXY), ("honcho", HONCHO)) if not path]
    if missing:
        message = f"{' and '.join(missing)} not found (apt-get install haproxy; pip install -r requirements-deploy.txt)"
        if os.environ.get("CLUSTER_PROCFILE_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    lb, app1, app2 = free_port(), free_port(), free_port()
    settings = {
        **{key: cluster.env[key] for key in ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL")},
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Databases of the cluster's Redis that the other tests do not use.
        "REDIS_URL": cluster.env["REDIS_URL"].rsplit("/", 1)[0] + "/2",
        "CELERY_BROKER_URL": cluster.env["REDIS_URL"].rsplit("/", 1)[0] + "/3",
        "NUM_PROXIES": "1",
        # A trial with no TLS in front (deploy/production.env.example).
        "SECURE_SSL_REDIRECT": "False",
        "LB_BIND": f"127.0.0.1:{lb}",
        "APP1_ADDR": f"127.0.0.1:{app1}",
        "APP2_ADDR": f"127.0.0.1:{app2}",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "CELERY_CONCURRENCY": "1",
        "CELERY_BEAT_SCHEDULE_FILE": str(cluster.folder / "celerybeat-schedule"),
        "OUTBOUND_ALLOWED_HOSTS": f"127.0.0.1:{receiver.port}",
        "MEDIA_ROOT": str(cluster.folder / "media"),
    }
    env_file = cluster.folder / "deployment.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    # The Procfile's commands (gunicorn, celery) come from the app's environment, as when it is
    # activated; haproxy from the system.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env["PATH"] = os.pathsep.join([str(Path(PYTHON).parent), str(Path(HAPROXY).parent), env.get("PATH", "")])
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(key, None)
    honcho = cluster.processes.start("honcho", [HONCHO, "start", "-e", str(env_file)], env=env, cwd=ROOT)
    yield f"http://127.0.0.1:{lb}", honcho
    honcho.stop()


def test_the_procfile_serves_chats_through_the_load_balancer_on_both_app_servers_and_delivers_webhooks(
    procfile_deployment, receiver
):
    base, honcho = procfile_deployment
    receiver.start()
    balanced = Api([base])

    def both_servers_up() -> bool:
        if not honcho.alive():
            raise RuntimeError(honcho.output()[-4000:])
        try:
            return all(balanced.call("GET", "/healthz", timeout=2).status_code == 200 for _ in range(4))
        except OSError:
            return False

    wait_for(both_servers_up, timeout=90, what="the load balancer to answer /healthz", interval=0.5)
    token = balanced.ok(
        "POST",
        "/api/auth/register/",
        json={
            "username": "ops",
            "email": "ops@example.com",
            "password": "Pa55-phrase!",
            "password_confirm": "Pa55-phrase!",
        },
        expect=201,
    )["access"]
    owner = Api([base], token)
    bot = bot_publish(owner, "behind the balancer", SIGN_UP)
    owner.ok(
        "POST",
        "/api/integrations/webhooks/",
        json={"name": "lb", "url": receiver.url, "events": ["session.completed"], "chatbot": bot["id"]},
        expect=201,
    )
    for _ in range(3):
        turn = balanced.ok("POST", f"/api/flows/public/{bot['public_id']}/start/", expect=201)
        for node_id, value in [("ask_name", "Ana"), ("ask_plan", "pro"), ("ask_email", "ana@example.com")]:
            turn = balanced.ok(
                "POST",
                f"/api/flows/public/sessions/{turn['session_id']}/reply/",
                json={"value": value, "node_id": node_id},
            )
        assert texts(turn) == ["Thanks Ana: pro for ana@example.com."]
    # Round robin: each app server's access log shows chat requests.
    output = honcho.output()
    for name in ("web1", "web2"):
        assert any(name in line and "/api/flows/public/" in line for line in output.splitlines()), output[-4000:]
    # Beat schedules a delivery run every few seconds; the worker sends the three events.
    wait_for(lambda: len(receiver.ids()) == 3, timeout=30, what="beat and the worker to deliver the webhooks")
    time.sleep(0.5)
    assert all(receiver.count(delivery) == 1 for delivery in receiver.ids())
