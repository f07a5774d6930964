"""The traffic of `make load` (run by bench.load.run in locust's own virtualenv).

Three kinds of people, by weight: visitors chatting with published bots (most of the traffic,
as on any deployment), builders editing a graph node by node and publishing it, and owners
reading results. Requests are named by endpoint kind so that the report groups them.

Think times are seconds, not the minutes real people take: each simulated person stands for
several real ones, so that a few dozen locust users load a server as hundreds of people would.

LOAD_SEED names the JSON file bench.load.seed wrote (accounts, bots, ids); at the end the
figures per endpoint kind are written to the JSON file LOAD_REPORT names."""

import itertools
import json
import os
import random
import time
import uuid

from locust import FastHttpUser, between, events, task
from locust.stats import StatsEntry

from bench.load.visitor import answer

with open(os.environ["LOAD_SEED"]) as _file:
    SEED = json.load(_file)

# What a load balancer terminating TLS adds: the app then serves with its production security
# settings (HTTPS redirect on) and sees requests as HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# An embedding site: the widget's requests carry its origin (the load bots allow any).
SITE_ORIGIN = "https://shop.example.com"
TOKEN_MINUTES = 10  # log in again before the access token (15 minutes by default) expires


class Person(FastHttpUser):
    abstract = True
    default_headers = PROXY_HEADERS
    token: str = ""

    def call(self, method: str, path: str, name: str, expect: int, check=None, **kwargs) -> dict | list | str | None:
        """One request; any status but `expect` (a redirect included) is a failure, and so is a
        JSON body for which `check` returns a reason."""
        headers = {**kwargs.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            if response.status_code != expect:
                problem = response.error if response.status_code == 0 else (response.text or "")[:300]
                response.failure(f"{response.status_code} instead of {expect}: {problem}")
                return None
            content_type = response.headers.get("Content-Type", "")
            if not content_type.startswith("application/json"):
                return response.text
            body = response.json()
            problem = check(body) if check else None
            if problem:
                response.failure(problem)
                return None
            return body

    def login(self, username: str) -> None:
        self.token = ""
        body = self.call(
            "POST", "/api/auth/login/", "login", 200, json={"username": username, "password": SEED["password"]}
        )
        self.token = body["access"] if body else ""
        self.logged_in_at = time.monotonic()

    def ensure_login(self) -> None:
        if not self.token or time.monotonic() - self.logged_in_at > TOKEN_MINUTES * 60:
            self.login(self.username)


class Visitor(Person):
    """Opens a page embedding a bot, starts a chat and answers until the bot says goodbye."""

    weight = 14
    wait_time = between(0.5, 2)

    def on_start(self):
        self.rng = random.Random()

    @task
    def converse(self):
        public_id = self.rng.choice(SEED["public_ids"])
        headers = {"Origin": SITE_ORIGIN}
        self.call("GET", f"/api/flows/public/{public_id}/", "chat profile", 200, headers=headers)
        turn = self.call(
            "POST", f"/api/flows/public/{public_id}/start/", "chat start", 201, _turn_problem, json={}, headers=headers
        )
        while turn and turn["status"] == "active":
            self.wait()  # reading and typing
            pending = turn["input"]
            # node_id names the input answered: a double submit or a stale tab gets 409, not a
            # second answer (docs/chat-api.md).
            body = {"value": answer(pending, self.rng), "node_id": pending["node_id"]}
            path = f"/api/flows/public/sessions/{turn['session_id']}/reply/"
            turn = self.call("POST", path, "chat reply", 200, _turn_problem, json=body, headers=headers)


def _turn_problem(turn: dict) -> str | None:
    """Every answer the load gives fits, so a Turn either asks the next question or completes."""
    if turn.get("status") == "active" and turn.get("input"):
        return None
    if turn.get("status") == "completed":
        return None
    return f"unexpected Turn: status {turn.get('status')!r}, input {turn.get('input')!r}"


class Builder(Person):
    """Edits their bot's graph item by item, as the canvas does, and publishes each change: adds
    a message before the end, links it in, rewords and moves it, publishes; then unlinks and
    deletes it, so the graph keeps its size over the run."""

    weight = 3
    wait_time = between(0.5, 2)
    _accounts = itertools.count()

    def on_start(self):
        # One account (and bot) per builder: two people never edit one graph here.
        self.account = SEED["builders"][next(self._accounts) % len(SEED["builders"])]
        self.username = self.account["username"]
        self.login(self.username)

    def write(self, method: str, path: str, expect: int, **kwargs):
        return self.call(method, path, "builder graph write", expect, **kwargs)

    @task
    def edit_and_publish(self):
        self.ensure_login()
        account, flow = self.account, self.account["flow"]
        edge = f"/api/components/connections/{account['edge']}/"
        graph = self.call("GET", f"/api/chatbots/{account['chatbot']}/flows/{flow}/graph/", "builder graph read", 200)
        if graph is None:
            return
        node_id = f"tip-{uuid.uuid4().hex[:12]}"
        self.wait()
        node = self.write(
            "POST",
            "/api/components/instances/",
            201,
            json={"flow": flow, "id": node_id, "type": "message", "data": {"text": "A new tip."}},
        )
        if node is None:
            return
        self.write("PATCH", edge, 200, json={"target": node_id})
        self.write(
            "POST",
            "/api/components/connections/",
            201,
            json={"flow": flow, "edge_id": f"{node_id}-next", "source": node_id, "target": account["edge_target"]},
        )
        self.wait()
        node_path = f"/api/components/instances/{node['id']}/"
        self.write("PATCH", node_path, 200, json={"data": {"text": "A new tip, {{name}}: publish often."}})
        self.write("PATCH", node_path, 200, json={"position": {"x": random.uniform(0, 5000), "y": 200}})
        self.wait()
        self.call("POST", f"/api/chatbots/{account['chatbot']}/publish/", "publish", 201, json={"changelog": "Tip"})
        self.wait()
        self.write("PATCH", edge, 200, json={"target": account["edge_target"]})
        self.write("DELETE", node_path, 204)


class Owner(Person):
    """Reads what their bots' visitors said: results, sessions and transcripts, the CSV export
    and analytics."""

    weight = 3
    wait_time = between(1, 3)
    _accounts = itertools.count()

    def on_start(self):
        self.account = SEED["owners"][next(self._accounts) % len(SEED["owners"])]
        self.username = self.account["username"]
        self.login(self.username)
        self.rng = random.Random()

    def chatbot(self) -> int:
        self.ensure_login()
        return self.rng.choice(self.account["chatbots"])

    @task(3)
    def results(self):
        self.call("GET", f"/api/chatbots/{self.chatbot()}/results/", "results list", 200)

    @task(3)
    def read_a_conversation(self):
        sessions = self.call("GET", f"/api/executions/sessions/?chatbot={self.chatbot()}", "sessions list", 200)
        if sessions and sessions["results"]:
            session = self.rng.choice(sessions["results"])["id"]
            self.wait()
            self.call("GET", f"/api/executions/sessions/{session}/transcript/", "transcript", 200)

    @task(2)
    def analytics(self):
        self.call("GET", f"/api/chatbots/{self.chatbot()}/analytics/", "analytics", 200)

    @task(1)
    def export(self):
        self.call("GET", f"/api/chatbots/{self.chatbot()}/results/?format=csv", "CSV export", 200)


def _figures(entry: StatsEntry) -> dict:
    done = entry.num_requests > 0
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50_ms": entry.get_response_time_percentile(0.5) if done else 0,
        "p99_ms": entry.get_response_time_percentile(0.99) if done else 0,
    }


@events.quitting.add_listener
def _write_report(environment, **_):
    """Locust keeps figures per method and name; the report is per name (a kind of endpoint)."""
    stats = environment.stats
    kinds: dict[str, StatsEntry] = {}
    for entry in stats.entries.values():
        kinds.setdefault(entry.name, StatsEntry(stats, entry.name, "")).extend(entry)
    total = stats.total
    report = {
        "people": dict(environment.runner.final_user_classes_count or environment.runner.target_user_classes_count),
        "kinds": {name: _figures(entry) for name, entry in kinds.items()},
        "total": _figures(total),
        "seconds": (total.last_request_timestamp or total.start_time) - total.start_time,
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
    }
    with open(os.environ["LOAD_REPORT"], "w") as handle:
        json.dump(report, handle)
