"""Two app servers on one PostgreSQL database and one Redis: whichever server a request reaches,
the visitor, the builder and the rate limits see one application."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.cluster.bots import SIGN_UP, bot_publish, greeting_graph, texts
from tests.cluster.conftest import PROFILE_LIMIT
from tests.cluster.harness import PROXY_HEADERS

ANSWERS = [("ask_name", "Ana"), ("ask_plan", "pro"), ("ask_email", "ana@example.com")]


def test_a_chat_whose_requests_alternate_between_the_servers_completes_correctly(owner, visitor):
    bot = bot_publish(owner, "alternating", SIGN_UP)
    conversations = 4
    for n in range(conversations):
        server = n  # each conversation starts on a different server, then every request switches
        turn = visitor.ok("POST", f"/api/flows/public/{bot['public_id']}/start/", server=server, expect=201)
        assert texts(turn) == ["Hello from the cluster!", "Your name?"]
        session = f"/api/flows/public/sessions/{turn['session_id']}/"
        for node_id, value in ANSWERS:
            server += 1
            # The other server reads what the last one stored.
            assert visitor.ok("GET", session, server=server)["input"]["node_id"] == node_id
            server += 1
            turn = visitor.ok("POST", f"{session}reply/", json={"value": value, "node_id": node_id}, server=server)
        assert turn["status"] == "completed"
        assert texts(turn) == ["Thanks Ana: pro for ana@example.com."]
        read = visitor.ok("GET", session, server=server + 1)
        assert read["status"] == "completed"
        transcript = [(entry["sender"], entry.get("text")) for entry in read["transcript"]]
        assert transcript == [
            ("bot", "Hello from the cluster!"),
            ("bot", "Your name?"),
            ("user", "Ana"),
            ("bot", "Which plan, Ana?"),
            ("user", "Pro"),
            ("bot", "Your email?"),
            ("user", "ana@example.com"),
            ("bot", "Thanks Ana: pro for ana@example.com."),
        ]
    results = owner.ok("GET", f"/api/chatbots/{bot['id']}/results/", server=1)
    assert results["count"] == conversations
    assert all(row["status"] == "completed" for row in results["results"])
    assert all(
        row["answers"] == {"name": "Ana", "plan": "pro", "email": "ana@example.com"} for row in results["results"]
    )


def test_concurrent_replies_to_one_input_spread_over_both_servers_have_exactly_one_winner(cluster, owner, visitor):
    bot = bot_publish(owner, "contended", SIGN_UP)
    sessions = [
        visitor.ok("POST", f"/api/flows/public/{bot['public_id']}/start/", server=n, expect=201)["session_id"]
        for n in range(8)
    ]
    contenders = 6  # per session, half on each server
    start = threading.Barrier(len(sessions) * contenders)

    def reply(session_id: str, k: int) -> tuple[str, str, requests.Response]:
        name = f"Visitor{k}"
        with requests.Session() as http:
            http.headers.update(PROXY_HEADERS)
            start.wait(30)
            response = http.post(
                f"{cluster.urls[k % 2]}/api/flows/public/sessions/{session_id}/reply/",
                json={"value": name, "node_id": "ask_name"},
                timeout=30,
            )
        return session_id, name, response

    with ThreadPoolExecutor(max_workers=len(sessions) * contenders) as pool:
        outcomes = list(pool.map(lambda job: reply(*job), [(s, k) for s in sessions for k in range(contenders)]))

    for session_id in sessions:
        answers = [(name, response) for sid, name, response in outcomes if sid == session_id]
        codes = sorted(response.status_code for _, response in answers)
        assert codes == [200] + [409] * (contenders - 1), [r.text for _, r in answers]
        winner = next(name for name, response in answers if response.status_code == 200)
        assert texts(next(r for _, r in answers if r.status_code == 200).json()) == [f"Which plan, {winner}?"]
        for _, response in answers:
            if response.status_code == 409:
                assert response.headers["Content-Type"] == "application/json"
                assert response.json()["detail"]
        # Whichever server is asked, one answer was stored: the winner's.
        for server in (0, 1):
            read = visitor.ok("GET", f"/api/flows/public/sessions/{session_id}/", server=server)
            assert [e.get("text") for e in read["transcript"] if e["sender"] == "user"] == [winner]
            assert read["input"]["node_id"] == "ask_plan"


def test_the_throttle_counts_requests_to_both_servers_together(owner, visitor):
    bot = bot_publish(owner, "throttled", greeting_graph("hi"))
    profile = f"/api/flows/public/{bot['public_id']}/"
    # The limit is per hour (conftest): a window that ends during the test would reset the count.
    if time.time() % 3600 > 3600 - 20:
        time.sleep(3600 - time.time() % 3600 + 1)
    codes = [visitor.call("GET", profile, server=n).status_code for n in range(PROFILE_LIMIT + 1)]
    assert codes == [200] * PROFILE_LIMIT + [429]
    for server in (0, 1):
        refused = visitor.call("GET", profile, server=server)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0


def test_a_version_published_through_one_server_is_what_new_sessions_on_the_other_get_at_once(owner, visitor):
    bot = bot_publish(owner, "versions", greeting_graph("version 1"))
    start = f"/api/flows/public/{bot['public_id']}/start/"
    for number in range(2, 6):
        builder, other = number % 2, (number + 1) % 2
        # The other server has run the live version (and cached its snapshot) in both its workers.
        before = [visitor.ok("POST", start, server=other, expect=201) for _ in range(4)]
        assert {texts(turn)[0] for turn in before} == {f"version {number - 1}"}
        graph = f"/api/chatbots/{bot['id']}/flows/{bot['main_flow']}/graph/"
        owner.ok("PUT", graph, json=greeting_graph(f"version {number}"), server=builder)
        owner.ok("POST", f"/api/chatbots/{bot['id']}/publish/", json={}, expect=201, server=builder)
        after = [visitor.ok("POST", start, server=other, expect=201) for _ in range(4)]
        assert {texts(turn)[0] for turn in after} == {f"version {number}"}
        # A conversation started before the publish runs on to its end on its own version.
        session = before[0]["session_id"]
        done = visitor.ok("POST", f"/api/flows/public/sessions/{session}/reply/", json={"value": "ok"}, server=builder)
        assert done["status"] == "completed"
