"""`make load`: mixed traffic from locust (headless) against gunicorn + PostgreSQL + Redis.

- Creates a throwaway PostgreSQL database (`load_<timestamp>`) on the server DATABASE_URL
  points at (default: the local one), migrates it and seeds it (bench.load.seed): owners with
  published bots of 33 nodes and finished conversations, one account and bot per builder.
- Serves it with gunicorn as production does (gthread workers, DEBUG off, generated
  SECRET_KEY and FIELD_ENCRYPTION_KEYS, cache and throttle counters in Redis), behind what a
  TLS-terminating load balancer would add (X-Forwarded-Proto).
- Runs locust headless (installed from requirements-load.txt in its own virtualenv) for
  `--seconds` with `--users` simulated people (bench/load/locustfile.py: visitors chatting,
  builders editing and publishing, owners reading results and the CSV).
- Prints, per endpoint kind, requests, requests/s, p50, p99 and errors, the totals, the CPU
  the gunicorn processes spent per request and where the machine's CPU went; exits non-zero on any error (a failed or
  unexpected response, or an error in the server's log).
- Stops gunicorn, drops the database and empties the Redis database it used.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench import chat  # noqa: E402
from bench.chat import free_port, machine_idle_ticks, prepare_database, process_cpu_seconds, serve  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# The order of the report's rows: what visitors do, then builders, then owners.
KINDS = [
    "chat profile",
    "chat start",
    "chat reply",
    "login",
    "builder graph read",
    "builder graph write",
    "publish",
    "results list",
    "sessions list",
    "transcript",
    "analytics",
    "CSV export",
]
SERVER_ERROR = re.compile(r"\bERROR\b|\bCRITICAL\b|Traceback|\[CRITICAL\]|WORKER TIMEOUT")


def server_env(database_url: str, redis_url: str) -> dict:
    # Every simulated person comes from 127.0.0.1, and the public chat's and sign-in's rate
    # limits count per client IP: at production rates the whole load would be one client hitting its
    # limit within seconds and getting 429s. Raised for the run (make bench's environment raises
    # the chat ones; sign-in too here), so what is measured is the server's capacity, not the
    # limiter's; the counters are still kept in Redis on every request, so their cost is measured.
    return chat.server_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=redis_url,
        WEBHOOK_DELIVERY="worker",  # the load's bots have no webhooks; nothing to deliver
        MEDIA_ROOT=tempfile.mkdtemp(prefix="load-media-"),
        THROTTLE_RATE_AUTH="100000000/min",
    )


class DatabaseBackendsCPU(threading.Thread):
    """CPU time spent by the PostgreSQL backends serving database `name`, when the server runs on
    this machine (Linux /proc): sampled every second, since a backend whose connection closes
    takes its figures with it (at most its last second is missed)."""

    def __init__(self, name: str):
        super().__init__(daemon=True)
        self.marker = f" {name} ".encode()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.done = threading.Event()
        self.sample(baseline=True)

    def sample(self, *, baseline: bool = False) -> None:
        if not os.path.isdir("/proc"):
            return
        tick = os.sysconf("SC_CLK_TCK")
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    title = handle.read()
                if not title.startswith(b"postgres: ") or self.marker not in title.replace(b"\0", b" "):
                    continue
                with open(f"/proc/{entry.name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, seconds = int(entry.name), (int(fields[11]) + int(fields[12])) / tick
            self.first.setdefault(pid, seconds if baseline else 0.0)
            self.last[pid] = seconds

    def run(self) -> None:
        while not self.done.wait(1):
            self.sample()

    def stop(self) -> float:
        self.done.set()
        self.join()
        self.sample()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def redis_database(url: str):
    """A client of the Redis database `url` names, which must be one of its own (not 0): the run
    empties it before and after. None without a URL (throttles then count per process)."""
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit(f"LOAD_REDIS_URL must name a Redis database of its own, not 0: {url}")
    client.ping()
    return client


def seed_database(env: dict, *, builders: int, owners: int, bots_per_owner: int, sessions: int) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench.load.seed import seed

    call_command("migrate", verbosity=0)
    data = seed(owners=owners, bots_per_owner=bots_per_owner, sessions_per_bot=sessions, builders=builders)
    connections.close_all()  # the database is dropped at the end: hold no connection to it
    return data


def report(figures: dict) -> int:
    """Print the table of the locustfile's report; returns the number of failed requests."""
    seconds = figures["seconds"] or 1
    order = {kind: i for i, kind in enumerate(KINDS)}
    kinds = sorted(figures["kinds"].items(), key=lambda item: (order.get(item[0], len(KINDS)), item[0]))
    print(f"\n{'endpoint kind':<20} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}")
    for name, row in [*kinds, ("total", figures["total"])]:
        if name == "total":
            print("-" * 62)
        print(
            f"{name:<20} {row['requests']:>9} {row['requests'] / seconds:>8.1f} {row['p50_ms']:>7} "
            f"{row['p99_ms']:>7} {row['failures']:>7}"
        )
    return figures["total"]["failures"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locust", required=True, help="the locust command (from requirements-load.txt)")
    parser.add_argument("--seconds", type=int, default=60, help="how long the load runs")
    parser.add_argument("--users", type=int, default=60, help="simulated people (visitors, builders, owners)")
    parser.add_argument("--spawn-rate", type=float, help="people started per second (default: all in 10 s)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis database of its own")
    parser.add_argument("--owners", type=int, default=4, help="owner accounts")
    parser.add_argument("--bots-per-owner", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=40, help="conversations seeded per owner bot")
    args = parser.parse_args()
    if args.seconds < 1 or args.users < 1:
        parser.error("--seconds and --users must be at least 1")
    if not os.access(args.locust, os.X_OK):
        parser.error(f"no locust at {args.locust} (make load installs it)")
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error(f"make load runs on PostgreSQL: DATABASE_URL must point at a PostgreSQL server, not {url}")

    redis = redis_database(args.redis_url)
    name = f"load_{datetime.now(UTC):%Y%m%d_%H%M%S}"
    env, drop_database = prepare_database(server_env(url, args.redis_url), name=name)
    work = Path(tempfile.mkdtemp(prefix="load-"))
    server = None
    server_log = open(work / "gunicorn.log", "w+")  # noqa: SIM115 (closed in finally)
    try:
        if redis is not None:
            redis.flushdb()
        started = time.monotonic()
        data = seed_database(
            env, builders=args.users, owners=args.owners, bots_per_owner=args.bots_per_owner, sessions=args.sessions
        )
        (work / "seed.json").write_text(json.dumps(data))
        print(
            f"seeded {name} in {time.monotonic() - started:.0f} s: {args.owners} owners x {args.bots_per_owner} "
            f"published bots of {data['graph_nodes']} nodes, {args.sessions} conversations each; "
            f"{len(data['builders'])} builder accounts with a bot each"
        )
        port = free_port()
        gunicorn = ["--worker-class", "gthread", "--workers", str(args.workers), "--threads", str(args.threads)]
        server = serve(port, env, *gunicorn, app="config.wsgi", output=server_log)
        # Builders and owners log in as they arrive; a login costs a password hash (PBKDF2,
        # most of a second of CPU), so arrivals are spread over 10 s (a sixth of a short run).
        spawn_rate = args.spawn_rate or max(1.0, args.users / min(10, args.seconds / 6))
        print(
            f"gunicorn config.wsgi: {args.workers} gthread workers x {args.threads} threads, DEBUG off; "
            f"PostgreSQL; Redis {args.redis_url or 'none'}\n"
            f"locust: {args.users} users, {spawn_rate:g} started/s, {args.seconds} s"
        )
        command = [
            args.locust,
            "--locustfile",
            str(ROOT / "bench" / "load" / "locustfile.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{port}",
            "--users",
            str(args.users),
            "--spawn-rate",
            f"{spawn_rate:g}",
            "--run-time",
            f"{args.seconds}s",
            # At the end, a person in the middle of a request finishes it (and stops at their
            # next pause) rather than being cut off and counted as a failed request.
            "--stop-timeout",
            "30",
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",  # errors are counted below, with the server's log
        ]
        locust_env = {
            **os.environ,
            "LOAD_SEED": str(work / "seed.json"),
            "LOAD_REPORT": str(work / "report.json"),
            "PYTHONPATH": str(ROOT),
        }
        cpu, idle = process_cpu_seconds(server.pid), machine_idle_ticks()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust's CPU, once it has ended
        database_cpu = DatabaseBackendsCPU(name)
        database_cpu.start()
        with open(work / "locust.log", "w") as locust_log:
            status = subprocess.run(command, cwd=ROOT, env=locust_env, stdout=locust_log, stderr=subprocess.STDOUT)
        cpu_after, idle_after = process_cpu_seconds(server.pid), machine_idle_ticks()
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        postgres_cpu = database_cpu.stop()
        locust_cpu = sum(getattr(children_after, f) - getattr(children, f) for f in ("ru_utime", "ru_stime"))
        if status.returncode != 0 or not (work / "report.json").exists():
            print((work / "locust.log").read_text()[-5000:])
            print(f"locust exited with status {status.returncode}")
            return 1

        figures = json.loads((work / "report.json").read_text())
        people = ", ".join(f"{count} {kind.lower()}{'s' * (count != 1)}" for kind, count in figures["people"].items())
        print(f"people: {people}")
        failures = report(figures)
        requests = figures["total"]["requests"]
        seconds = figures["seconds"] or 1
        if cpu is not None and cpu_after is not None and requests:
            print(f"gunicorn CPU: {1000 * (cpu_after - cpu) / requests:.1f} ms per request")
            if idle is not None and idle_after is not None and idle_after[1] > idle[1]:
                # Where the machine's CPU went; on a shared machine, "other" is other people's work.
                tick = os.sysconf("SC_CLK_TCK")
                available = (idle_after[1] - idle[1]) / tick
                idle_seconds = (idle_after[0] - idle[0]) / tick
                used = {"gunicorn": cpu_after - cpu, "PostgreSQL": postgres_cpu, "locust": locust_cpu}
                used["other"] = max(0.0, available - idle_seconds - sum(used.values()))
                used["idle"] = idle_seconds
                shares = ", ".join(f"{what} {100 * seconds / available:.0f}%" for what, seconds in used.items())
                print(f"machine CPU ({available:.0f} core-seconds): {shares}")
        if figures["errors"]:
            print("\nerrors:")
            for error in figures["errors"]:
                print(f"  {error['occurrences']} x {error['method']} {error['name']}: {error['error'][:400]}")
        server_log.flush()
        server_log.seek(0)
        logged = [line.rstrip() for line in server_log if SERVER_ERROR.search(line)]
        if logged:
            print(f"\nthe server logged {len(logged)} error lines; the first ones:")
            print("\n".join(logged[:20]))
        errors = failures + len(logged)
        print(f"\nload: {requests} requests, {requests / seconds:.1f} req/s, {errors} errors")
        return 1 if errors else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        server_log.close()
        drop_database()
        if redis is not None:
            redis.flushdb()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
