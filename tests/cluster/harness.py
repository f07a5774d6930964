"""Real processes for the cluster tests: a throwaway PostgreSQL cluster, a redis-server, gunicorn
app servers, Celery workers, a webhook receiver, and an HTTP client for the API.

Every process runs in its own process group, its output in a log file of the run's temporary
folder; `Processes.stop_all` ends every one of them (and their children), whatever happened.
"""

import contextlib
import glob
import http.server
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# What a TLS-terminating load balancer adds: with DEBUG off the app redirects plain HTTP.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def wait_for(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """One command in a process group of its own, stdout and stderr in `log`."""

    def __init__(
        self, name: str, args: list[str], *, env: dict, log: Path, cwd: Path = ROOT, stop_signal=signal.SIGTERM
    ):
        self.name, self.log, self.stop_signal = name, log, stop_signal
        self._log_file = open(log, "ab")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(  # noqa: S603 (our own commands)
            args, cwd=cwd, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self, of: int | None = None) -> set[int]:
        """The pids whose parent is this process (gunicorn's workers, Celery's pool)."""
        found = set()
        for status in glob.glob("/proc/[0-9]*/status"):
            with contextlib.suppress(OSError, StopIteration):
                text = Path(status).read_text()
                ppid = next(line.split()[1] for line in text.splitlines() if line.startswith("PPid:"))
                if int(ppid) == (of or self.pid):
                    found.add(int(Path(status).parent.name))
        return found

    def descendants(self) -> set[int]:
        found, todo = set(), [self.pid]
        while todo:
            new = self.children(todo.pop()) - found
            found |= new
            todo += new
        return found

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        # Children that run in process groups of their own (honcho starts each process so).
        groups = set()
        for pid in self.descendants():
            with contextlib.suppress(OSError):
                groups.add(os.getpgid(pid))
        if self.alive():
            self.kill_group(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        # Whatever is left (a child the signal did not reach, a hung worker).
        for group in groups | {self.pid}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        self._log_file.close()


class Processes:
    """Every process a test run started, so that all of them end, in reverse order."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, args: list[str], *, env: dict, cwd: Path = ROOT, stop_signal=signal.SIGTERM) -> Process:
        process = Process(name, args, env=env, log=self.folder / f"{name}.log", cwd=cwd, stop_signal=stop_signal)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"{name} not found (PostgreSQL's server package is needed)")
    return found


class Postgres:
    """A PostgreSQL cluster of its own in `folder`, on `port`, trust auth on 127.0.0.1.

    PostgreSQL refuses to run as root: then it runs as the `postgres` account."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "pgdata"
        self.logfile = folder / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{port}/chatbots"
        self._as = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], check=check, capture_output=True, text=True, timeout=120)  # noqa: S603

    def init(self) -> None:
        self.data.mkdir()
        if self._as:
            account = pwd.getpwnam("postgres")
            os.chown(self.data, account.pw_uid, account.pw_gid)
            self.logfile.touch()
            os.chown(self.logfile, account.pw_uid, account.pw_gid)
        self._run(_pg_tool("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        # A throwaway cluster: durability buys nothing here and costs the 2-core CI machine time.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )
        self.start()
        self._run(
            _pg_tool("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-c",
            "CREATE DATABASE chatbots",
        )

    def start(self) -> None:
        self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", check=False)

    def running(self) -> bool:
        return self._run(_pg_tool("pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0


# --- Redis ---------------------------------------------------------------------------------------


class Redis:
    """A redis-server of its own on `port`, keeping nothing on disk."""

    def __init__(self, processes: Processes, port: int):
        self.processes, self.port = processes, port
        self.url = f"redis://127.0.0.1:{port}"
        self.process: Process | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server not found")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = self.processes.start(f"redis-{self.port}-{time.monotonic_ns()}", args, env=dict(os.environ))
        wait_for(lambda: port_open(self.port), timeout=15, what="redis-server")

    def kill(self) -> None:
        if self.process is not None:
            self.process.stop()


# --- App servers, workers ------------------------------------------------------------------------


class AppServer:
    """One gunicorn instance (threaded workers, as in production)."""

    def __init__(self, processes: Processes, name: str, env: dict, *, workers: int = 2, threads: int = 4):
        self.name, self.port, self.workers = name, free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            PYTHON, "-m", "gunicorn", "config.wsgi",
            "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
        ]  # fmt: skip
        # Ended by SIGKILL: a test has no requests to finish, and the graceful way costs seconds.
        self.process = processes.start(name, args, env=env, stop_signal=signal.SIGKILL)

    def wait_ready(self) -> None:
        def answers() -> bool:
            if not self.process.alive():
                raise RuntimeError(f"{self.name} exited:\n{self.process.output()[-3000:]}")
            try:
                return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answers, timeout=60, what=f"{self.name} to answer /healthz")

    def pids(self) -> tuple[int, frozenset[int]]:
        """(the master's pid, its workers' pids)."""
        return self.process.pid, frozenset(self.process.children())


def celery_worker(processes: Processes, name: str, env: dict) -> Process:
    """A Celery worker as the Procfile runs it, also consuming a queue named after it, so that
    a test can hand a task to this worker alone."""
    args = [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "-n", f"{name}@%h", "--concurrency", "2"]
    # Ended by SIGKILL: a test has no tasks to finish, and a warm shutdown costs seconds.
    return processes.start(name, [*args, "-Q", f"celery,{name}"], env=env, stop_signal=signal.SIGKILL)


def celery_wait_ready(worker: Process, timeout: float = 60) -> None:
    def ready() -> bool:
        if not worker.alive():
            raise RuntimeError(f"{worker.name} exited:\n{worker.output()[-3000:]}")
        return " ready." in worker.output()

    wait_for(ready, timeout=timeout, what=f"{worker.name} to be ready")


class Beat:
    """Sends the delivery task every `interval` seconds, as Celery beat does every 5 s (faster,
    to keep the tests short); a context manager."""

    def __init__(self, broker_url: str, interval: float = 0.5):
        from celery import Celery

        self.app = Celery("cluster-tests", broker=broker_url)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # the broker may be down on purpose
                self.app.send_task("integrations.tasks.deliver_due_webhooks")
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.app.close()


# --- A webhook receiver ---------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on a fixed port that records every request it gets (by X-Webhook-Id)
    and answers as `respond(delivery_id, seen_before)` says: a status code, or None to hold the
    request open until `release` is set."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hook"
        self.received: list[tuple[str, float, str]] = []  # (delivery id, monotonic time, event type)
        self.lock = threading.Lock()
        self.respond: Callable[[str, int], int | None] = lambda delivery_id, seen: 200
        self.holding = threading.Event()
        self.release = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None

    def count(self, delivery_id: str) -> int:
        with self.lock:
            return sum(1 for seen, _, _ in self.received if seen == delivery_id)

    def times(self, delivery_id: str) -> list[float]:
        with self.lock:
            return [at for seen, at, _ in self.received if seen == delivery_id]

    def ids(self) -> set[str]:
        with self.lock:
            return {seen for seen, _, _ in self.received}

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delivery_id = self.headers.get("X-Webhook-Id", "")
                with receiver.lock:  # respond decides under the lock: one request at a time
                    seen = sum(1 for d, _, _ in receiver.received if d == delivery_id)
                    receiver.received.append((delivery_id, time.monotonic(), self.headers.get("X-Webhook-Event", "")))
                    status = receiver.respond(delivery_id, seen)
                if status is None:
                    receiver.holding.set()
                    receiver.release.wait(60)
                    status = 200
                body = json.dumps({"ok": status < 300}).encode()
                with contextlib.suppress(OSError):  # the sender may be dead by now
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- The API, as a client sees it ------------------------------------------------------------------


class Api:
    """requests sessions on the app servers' base URLs, with the proxy's headers."""

    def __init__(self, urls: Iterable[str], token: str | None = None):
        self.urls = list(urls)
        self.session = requests.Session()
        self.session.headers.update(PROXY_HEADERS)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, *, server: int = 0, timeout: float = 30, **kwargs) -> requests.Response:
        return self.session.request(method, self.urls[server % len(self.urls)] + path, timeout=timeout, **kwargs)

    def ok(self, method: str, path: str, *, server: int = 0, expect: int = 200, **kwargs) -> dict:
        response = self.call(method, path, server=server, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else {}

    def pages(self, path: str, *, server: int = 0) -> list[dict]:
        """Every item of a paginated list."""
        items, url = [], path
        while url:
            body = self.ok("GET", url, server=server)
            items += body["results"]
            url = None
            if body["next"]:
                parts = urlsplit(body["next"])
                url = f"{parts.path}?{parts.query}"
        return items
