"""`make bench`: chat reply throughput against the durable-turn floor and a bare endpoint.

- Serves the project with gunicorn on a throwaway database (a fresh PostgreSQL database when
  DATABASE_URL points at PostgreSQL, else a temporary SQLite file), with the production
  settings' worker class (gthread) unless told otherwise.
- Loads it with wrk (a C load generator: Python client threads saturate before the server
  does) and a Lua script, at four endpoints in alternating short rounds, so that a shared
  machine's drift in speed falls on all alike:
  * `bare`: a DRF view that parses a JSON body and answers JSON, no database;
  * `floor`: the durable-turn floor, the least any chat turn must cost: one read of a session
    row and one committed compare-and-swap write that inserts a message;
  * `reply`: chat replies on a 10-node bot, and `reply 10k` on a 10,000-node bot.
  It reports requests/s, p50 and p99 for each, reply/floor and floor/bare ratios over all
  rounds and per round, and reply 10k/reply.
- On SQLite, a second gunicorn serves the same database with Django's stock SQLite backend
  (no writer queue: writers wait on SQLite's own busy handler), and `floor stock` and
  `reply stock` are measured on it in the same alternating rounds, so that the writer queue
  of config/db/sqlite3 is compared with the stock backend side by side (`--no-stock` skips it).
- Counts the database statements and network round trips of one reply for 10-, 1,000- and
  10,000-node flows.
- On Linux, also reports the CPU time the gunicorn processes spent per request (not the
  database server's, nor the load generator's, which share the same cores), and how much of
  the machine's CPU sat idle during each measurement: idle time means something waited
  (the load generator, a database flush) rather than computed.

Figures, not assertions; compare ratios measured side by side, never absolute times.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SESSIONS_PER_ENDPOINT = 64


def prepare_database(env: dict, *, name: str | None = None) -> tuple[dict, callable]:
    """A throwaway database (`name`, or a random bench_ name, on the PostgreSQL server that
    env's DATABASE_URL points at; else a SQLite file); returns the environment to use and a
    cleanup function that drops it."""
    url = env.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = name or f"bench_{uuid.uuid4().hex[:8]}"
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
    """Migrate, publish bots of 10, 1,000 and 10,000 nodes, count what one reply costs, and
    start the sessions the load will reply to."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from rest_framework.test import APIClient

    from tests.factories import UserFactory, loop_graph, published_bot
    from tests.roundtrips import count_round_trips

    call_command("migrate", verbosity=0)
    user = UserFactory()
    client = APIClient()
    bots, costs = {}, {}

    def start(public_id: str) -> str:
        return client.post(f"/api/flows/public/{public_id}/start/", {}, format="json").json()["session_id"]

    for size in (10, 1000, 10_000):
        bot = published_bot(owner=user, graph=loop_graph(size - 6))
        bots[size] = bot.public_id
        session = start(bot.public_id)
        # Warm up first: PostgreSQL statements are prepared on their sixth run (one more round
        # trip, once per connection); what counts is every reply after that.
        for turn in range(6):
            client.post(f"/api/flows/public/sessions/{session}/reply/", {"value": f"warm {turn}"}, format="json")
        with count_round_trips() as counted:
            client.post(f"/api/flows/public/sessions/{session}/reply/", {"value": "count me"}, format="json")
        costs[size] = counted
    sessions = {
        name: [start(bots[10_000 if name == "reply 10k" else 10]) for _ in range(SESSIONS_PER_ENDPOINT)]
        for name in ("floor", "reply", "reply 10k", "floor stock", "reply stock")
    }
    return {"bots": bots, "costs": costs, "sessions": sessions}


def wrk(base: str, paths_file: str, body: str, *, seconds: float, connections: int, threads: int) -> dict:
    """One wrk run POSTing `body` to the paths listed in `paths_file`, in turn."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        os.path.join(ROOT, "bench", "post.lua"),
        base,
        "--",
        paths_file,
        body,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    figures["elapsed"] = figures["duration_us"] / 1e6
    return figures


def summary(runs: list[dict]) -> dict:
    """Requests/s over several runs of one endpoint; p50 and p99 as the median of the runs'."""
    elapsed = sum(run["elapsed"] for run in runs)
    requests = sum(run["requests"] for run in runs)
    return {
        "requests": requests,
        "errors": sum(run["errors"] + run["status_errors"] for run in runs),
        "per_second": requests / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in runs) / 1000,
    }


def per_second(run: dict) -> float:
    return run["requests"] / run["elapsed"] if run["elapsed"] else 0.0


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


def serve(port: int, env: dict, *gunicorn_options: str, app: str = "bench.wsgi", output=None) -> subprocess.Popen:
    """gunicorn serving `app` on 127.0.0.1:`port` with `gunicorn_options`, returned once it
    answers; its output goes to `output` (a file) when given."""
    command = [sys.executable, "-m", "gunicorn", app, *gunicorn_options, "--bind", f"127.0.0.1:{port}"]
    errors = subprocess.STDOUT if output else None
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=env, stdout=output, stderr=errors)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
    except RuntimeError:
        server.terminate()
        server.wait(timeout=10)
        raise
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16, help="concurrent wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--seconds", type=float, default=20, help="time spent measuring each endpoint")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds the time is split into")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--no-stock", action="store_true", help="on SQLite, skip the stock backend's server (no writer queue)"
    )
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")

    env, cleanup = prepare_database(server_env(EXECUTION_LOG_LEVELS="warning,error"))
    servers: dict[str, subprocess.Popen] = {}
    folder = tempfile.mkdtemp(prefix="chatbench-paths-")
    vendor = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
    stock = vendor == "sqlite" and not args.no_stock
    try:
        seeded = seed(env)
        base = f"http://127.0.0.1:{args.port}"
        stock_base = f"http://127.0.0.1:{args.port + 1}"
        paths = {"bare": ["/bench/bare/"] * SESSIONS_PER_ENDPOINT}
        for name in ["floor", "reply", "reply 10k", *(["floor stock", "reply stock"] if stock else [])]:
            path = "/bench/floor/{}/" if name.startswith("floor") else "/api/flows/public/sessions/{}/reply/"
            paths[name] = [path.format(session) for session in seeded["sessions"][name]]
        files = {}
        for name, lines in paths.items():
            files[name] = os.path.join(folder, name.replace(" ", "_") + ".txt")
            with open(files[name], "w") as handle:
                handle.write("\n".join(lines) + "\n")
        gunicorn = ["--workers", str(args.workers), "--worker-class", args.worker_class]
        gunicorn += ["--threads", str(args.gunicorn_threads)]
        servers[base] = serve(args.port, env, *gunicorn)
        if stock:
            servers[stock_base] = serve(args.port + 1, {**env, "BENCH_SQLITE_BACKEND": "stock"}, *gunicorn)
        base_of = {name: stock_base if name.endswith(" stock") else base for name in paths}
        body = json.dumps({"value": "hello"})

        def measure(name: str, seconds: float) -> dict:
            return wrk(
                base_of[name],
                files[name],
                body,
                seconds=seconds,
                connections=args.connections,
                threads=args.wrk_threads,
            )

        for name in paths:  # warm up every worker: imports, snapshot caches, prepared statements
            measure(name, 1)
        runs = {name: [] for name in paths}
        cpu_seconds = dict.fromkeys(paths, 0.0)
        idle_ticks = {name: [0, 0] for name in paths}
        for _ in range(args.rounds):
            for name in paths:
                pid = servers[base_of[name]].pid
                cpu, idle = process_cpu_seconds(pid), machine_idle_ticks()
                runs[name].append(measure(name, args.seconds / args.rounds))
                cpu_after, idle_after = process_cpu_seconds(pid), machine_idle_ticks()
                if cpu is None or cpu_after is None:
                    cpu_seconds[name] = None
                elif cpu_seconds[name] is not None:
                    cpu_seconds[name] += cpu_after - cpu
                if idle is not None and idle_after is not None:
                    idle_ticks[name][0] += idle_after[0] - idle[0]
                    idle_ticks[name][1] += idle_after[1] - idle[1]
        figures = {name: summary(runs[name]) for name in paths}
        for name, values in figures.items():
            if cpu_seconds[name] is not None:
                values["cpu_ms"] = 1000 * cpu_seconds[name] / max(1, values["requests"])
            if idle_ticks[name][1]:
                values["idle_pct"] = 100 * idle_ticks[name][0] / idle_ticks[name][1]

        threads = f" x {args.gunicorn_threads} threads" if args.worker_class == "gthread" else ""
        print(
            f"database: {vendor}; gunicorn {args.workers} {args.worker_class} workers{threads}; "
            f"wrk {args.wrk_threads} thread(s), {args.connections} connections; "
            f"{args.seconds:g} s per endpoint in {args.rounds} alternating rounds; "
            f"runner logs kept: {env['EXECUTION_LOG_LEVELS']}"
        )
        if stock:
            print("`... stock`: the same database served by Django's stock SQLite backend (no writer queue)")
        for name, values in figures.items():
            print(
                f"{name:>11}: {values['per_second']:8.1f} req/s  p50 {values['p50_ms']:6.2f} ms  "
                f"p99 {values['p99_ms']:6.2f} ms  ({values['requests']} requests, {values['errors']} errors)"
                + (f"  server CPU {values['cpu_ms']:.2f} ms/request" if "cpu_ms" in values else "")
                + (f"  machine idle {values['idle_pct']:.0f}%" if "idle_pct" in values else "")
            )

        def ratio(numerator: str, denominator: str) -> str:
            overall = 100 * figures[numerator]["per_second"] / max(1e-9, figures[denominator]["per_second"])
            rounds = sorted(
                100 * per_second(a) / max(1e-9, per_second(b))
                for a, b in zip(runs[numerator], runs[denominator], strict=True)
            )
            return f"{overall:.0f}% (rounds: {', '.join(f'{r:.0f}%' for r in rounds)})"

        print(f"reply / floor     = {ratio('reply', 'floor')}")
        print(f"floor / bare      = {ratio('floor', 'bare')}")
        print(f"reply / bare      = {ratio('reply', 'bare')}")
        print(f"reply 10k / reply = {ratio('reply 10k', 'reply')}")
        if stock:
            print(f"floor stock / floor = {ratio('floor stock', 'floor')}")
            print(f"reply stock / reply = {ratio('reply stock', 'reply')}")
            for name in ("floor", "reply"):
                tails = [figures[name]["p99_ms"], figures[f"{name} stock"]["p99_ms"]]
                print(f"{name} p99: writer queue {tails[0]:.1f} ms, stock backend {tails[1]:.1f} ms")
        for size, counted in seeded["costs"].items():
            print(
                f"one reply, {size:>6}-node flow: {counted.statements} SQL statements, "
                f"{counted.round_trips} database round trips"
            )
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(folder, True)
        cleanup()


if __name__ == "__main__":
    main()
