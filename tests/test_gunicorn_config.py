"""gunicorn as the project runs it: the settings in gunicorn.conf.py reach a server started from
the project's root."""

import base64
import http.client
import os
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.network import free_port

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_DEFAULT_KEEPALIVE = 2
LOAD_BALANCER_IDLE_TIMEOUT = 60  # nginx's upstream keepalive_timeout, cloud balancers' idle timeout


@pytest.fixture
def gunicorn_server(tmp_path):
    """gunicorn started as the README says, from the project's root: (host, port)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "False",
        "SECRET_KEY": "gunicorn-test-" + "k" * 50,
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--worker-class", "gthread", "--threads", "2"]
    server = subprocess.Popen(  # noqa: S603 (our interpreter running gunicorn)
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The port is bound before the workers have loaded the app: wait for an answer.
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_keeps_idle_connections_open_longer_than_a_load_balancer_does():
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (the project's own file)
    assert namespace["keepalive"] > LOAD_BALANCER_IDLE_TIMEOUT


def test_a_connection_left_idle_past_gunicorns_default_keep_alive_is_still_served(gunicorn_server):
    # gunicorn's own default closes an idle connection after 2 s, and a request sent on it just
    # then is lost; started from the project's root, gunicorn reads gunicorn.conf.py and keeps it.
    connection = http.client.HTTPConnection(*gunicorn_server, timeout=30)
    connection.request("GET", "/healthz")
    assert connection.getresponse().read()
    time.sleep(GUNICORN_DEFAULT_KEEPALIVE + 1)
    closed_by_server = select.select([connection.sock], [], [], 0)[0]  # readable: end of stream
    assert not closed_by_server
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    assert response.status == 200
    assert response.read()
    connection.close()
