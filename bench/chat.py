"""`make bench`: chat throughput against a bare DRF endpoint, served the same way, in one run.

- Serves the project with gunicorn (2 workers) on a throwaway database: a fresh PostgreSQL
  database when DATABASE_URL points at PostgreSQL, else a temporary SQLite file.
- Drives concurrent clients (threads, each with its own HTTP connection) at a bare DRF
  endpoint and through chat start + replies, in alternating short rounds so that a shared
  machine's drift in speed falls on both alike; reports requests/s, p50 and p99 for both, the
  ratio over all rounds and each round's ratio.
- Counts SQL queries per reply for 10-, 1,000- and 10,000-node flows.
- On Linux, also reports the CPU time the gunicorn processes spent per request (not the
  database server's, nor the load generator's, which share the same cores), and how much of
  the machine's CPU sat idle during each measurement: idle time means something waited
  (the load generator, a database flush) rather than computed.

Figures, not assertions; compare ratios measured side by side, never absolute times.
"""

import argparse
import base64
import contextlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def prepare_database(env: dict) -> tuple[dict, callable]:
    """A throwaway database; returns the environment to use and a cleanup function."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def cleanup():
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return {**env, "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}, cleanup
    folder = tempfile.mkdtemp(prefix="chatbench-")
    return {**env, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"}, lambda: shutil.rmtree(folder, True)


def seed(env: dict) -> dict:
    """Migrate, publish bots of 10, 1,000 and 10,000 nodes, and count queries per reply."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rest_framework.test import APIClient

    from tests.factories import UserFactory, loop_graph, published_bot

    call_command("migrate", verbosity=0)
    user = UserFactory()
    client = APIClient()
    bots, queries = {}, {}
    for size in (10, 1000, 10_000):
        bot = published_bot(owner=user, graph=loop_graph(size - 6))
        bots[size] = bot.public_id
        session = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
        client.post(f"/api/flows/public/sessions/{session}/reply/", {"value": "warm"}, format="json")
        with CaptureQueriesContext(connection) as captured:
            client.post(f"/api/flows/public/sessions/{session}/reply/", {"value": "count me"}, format="json")
        queries[size] = len(captured)
    return {"bots": bots, "queries": queries}


class Load:
    def __init__(self, base: str, threads: int):
        parsed = urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.threads = threads

    def _post(self, conn, path: str, body: dict) -> tuple[int, dict, float]:
        payload = json.dumps(body)
        started = time.perf_counter()
        conn.request("POST", path, payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {}), time.perf_counter() - started

    def _timed(self, conn, path: str, body: dict, latencies: list[float]) -> int:
        """POST expecting 200: its latency goes to `latencies`; returns 1 if it failed, else 0."""
        status, _, took = self._post(conn, path, body)
        if status != 200:
            return 1
        latencies.append(took)
        return 0

    def run(self, worker, seconds: float) -> dict:
        """`worker(conn, deadline, latencies)` loops until the deadline and returns its failures;
        all clients run at once for `seconds`."""
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds

        def loop():
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            mine, failed = [], 0
            try:
                failed = worker(conn, deadline, mine)
            finally:
                conn.close()
                with lock:
                    latencies.extend(mine)
                    errors[0] += failed

        started = time.perf_counter()
        pool = [threading.Thread(target=loop) for _ in range(self.threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return {"latencies": latencies, "errors": errors[0], "elapsed": time.perf_counter() - started}

    def bare(self, seconds: float) -> dict:
        def worker(conn, deadline, latencies):
            failed = 0
            while time.perf_counter() < deadline:
                failed += self._timed(conn, "/bench/bare/", {"value": "hello"}, latencies)
            return failed

        return self.run(worker, seconds)

    def chat(self, public_id: str, seconds: float, replies_per_session: int = 50) -> dict:
        """Each client starts a session and replies to it up to `replies_per_session` times,
        again and again until the deadline; only replies are timed (the figure the goal is
        about)."""

        def worker(conn, deadline, latencies):
            failed = 0
            while time.perf_counter() < deadline:
                status, turn, _ = self._post(conn, f"/api/flows/public/{public_id}/start/", {})
                if status != 201:
                    failed += 1
                    continue
                path = f"/api/flows/public/sessions/{turn['session_id']}/reply/"
                for n in range(replies_per_session):
                    if time.perf_counter() >= deadline:
                        break
                    failed += self._timed(conn, path, {"value": f"answer {n}"}, latencies)
            return failed

        return self.run(worker, seconds)


def summary(runs: list[dict]) -> dict:
    """Requests/s, p50 and p99 over several runs of one endpoint."""
    latencies = sorted(latency for run in runs for latency in run["latencies"])
    elapsed = sum(run["elapsed"] for run in runs)
    return {
        "requests": len(latencies),
        "errors": sum(run["errors"] for run in runs),
        "per_second": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0,
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else 0,
    }


def process_cpu_seconds(root_pid: int) -> float | None:
    """User + system CPU of a process and its children (Linux /proc); None elsewhere."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        pids = [root_pid]
        with open(f"/proc/{root_pid}/task/{root_pid}/children") as handle:
            pids += [int(pid) for pid in handle.read().split()]
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick
    except OSError:
        return None


def machine_idle_ticks() -> tuple[int, int] | None:
    """(idle, total) CPU ticks of the whole machine so far (Linux /proc/stat); None elsewhere."""
    try:
        with open("/proc/stat") as handle:
            ticks = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return ticks[3] + ticks[4], sum(ticks)  # idle + iowait


def server_env(**overrides: str) -> dict:
    """The environment the bench serves the project in: production mode, throwaway keys, no
    rate limits."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "THROTTLE_RATE_CHAT_START": "100000000/min",
        "THROTTLE_RATE_CHAT_REPLY": "100000000/min",
        "THROTTLE_RATE_CHAT_PROFILE": "100000000/min",
        **overrides,
    }


def serve(port: int, env: dict, *, threads: int = 1) -> subprocess.Popen:
    """gunicorn (2 workers of `threads` threads) serving the project on 127.0.0.1:`port`,
    returned once it answers."""
    command = ["gunicorn", "bench.wsgi", "--workers", "2", "--threads", str(threads)]
    server = subprocess.Popen(
        [sys.executable, "-m", *command, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env
    )
    wait_until_up(f"http://127.0.0.1:{port}")
    return server


@contextlib.contextmanager
def served(env: dict, port: int, prepare, *, threads: int = 1):
    """A throwaway database that `prepare(env)` fills, served by gunicorn; yields what
    `prepare` returned and the server process, and removes both afterwards."""
    env, cleanup = prepare_database(env)
    server = None
    try:
        prepared = prepare(env)
        server = serve(port, env, threads=threads)
        yield prepared, server
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cleanup()


def wait_until_up(base: str, timeout: float = 30) -> None:
    parsed = urlparse(base)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15, help="time spent measuring each endpoint")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds the time is split into")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--gunicorn-threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")

    env = server_env(EXECUTION_LOG_LEVELS="warning,error")
    with served(env, args.port, seed, threads=args.gunicorn_threads) as (seeded, server):
        base = f"http://127.0.0.1:{args.port}"
        load = Load(base, args.threads)
        load.chat(seeded["bots"][10], 1.0, replies_per_session=2)  # warm both workers' snapshot caches
        # Alternate short rounds of each endpoint so that a shared machine's drift in speed
        # falls on both alike; the ratio is computed over all rounds.
        measures = {"bare": load.bare, "chat": lambda seconds: load.chat(seeded["bots"][10], seconds)}
        runs = {name: [] for name in measures}
        cpu_seconds = dict.fromkeys(measures, 0.0)
        idle_ticks = {name: [0, 0] for name in measures}
        for _ in range(args.rounds):
            for name, measure in measures.items():
                cpu, idle = process_cpu_seconds(server.pid), machine_idle_ticks()
                runs[name].append(measure(args.seconds / args.rounds))
                cpu_after, idle_after = process_cpu_seconds(server.pid), machine_idle_ticks()
                if cpu is None or cpu_after is None:
                    cpu_seconds[name] = None
                elif cpu_seconds[name] is not None:
                    cpu_seconds[name] += cpu_after - cpu
                if idle is not None and idle_after is not None:
                    idle_ticks[name][0] += idle_after[0] - idle[0]
                    idle_ticks[name][1] += idle_after[1] - idle[1]
        bare, chat = summary(runs["bare"]), summary(runs["chat"])
        for name, figures in (("bare", bare), ("chat", chat)):
            if cpu_seconds[name] is not None:
                figures["cpu_ms"] = 1000 * cpu_seconds[name] / max(1, figures["requests"])
            if idle_ticks[name][1]:
                figures["idle_pct"] = 100 * idle_ticks[name][0] / idle_ticks[name][1]
        round_ratios = sorted(
            100 * (len(c["latencies"]) / c["elapsed"]) / max(1e-9, len(b["latencies"]) / b["elapsed"])
            for b, c in zip(runs["bare"], runs["chat"], strict=True)
        )
        vendor = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        print(
            f"database: {vendor}; gunicorn 2 workers x {args.gunicorn_threads} threads; "
            f"{args.threads} clients; {args.seconds:g} s per endpoint in {args.rounds} alternating rounds; "
            f"runner logs kept: {env['EXECUTION_LOG_LEVELS']}"
        )
        for label, figures in (("bare DRF endpoint", bare), ("chat reply", chat)):
            print(
                f"{label:>18}: {figures['per_second']:8.1f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
                f"p99 {figures['p99_ms']:6.1f} ms  ({figures['requests']} requests, {figures['errors']} errors)"
                + (f"  server CPU {figures['cpu_ms']:.2f} ms/request" if "cpu_ms" in figures else "")
                + (f"  machine idle {figures['idle_pct']:.0f}%" if "idle_pct" in figures else "")
            )
        print(
            f"reply throughput = {100 * chat['per_second'] / bare['per_second']:.0f}% of the bare endpoint's "
            f"(rounds: {', '.join(f'{ratio:.0f}%' for ratio in round_ratios)})"
        )
        for size, count in seeded["queries"].items():
            print(f"queries per reply, {size:>6}-node flow: {count}")


if __name__ == "__main__":
    main()
