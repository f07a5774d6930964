import itertools
import threading

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
from rest_framework.test import APIClient

from executions.models import ChatSession, UserInput
from tests.factories import edge, loop_graph, node, published_bot

REPLY_QUERY_BUDGET = 6


def _data_queries(queries) -> int:
    return sum(1 for q in queries if "SAVEPOINT" not in q["sql"].upper())


def _reply_queries(client, session_id, value) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json")
    assert response.status_code == 200, response.json()
    return _data_queries(queries.captured_queries)


@pytest.mark.django_db
def test_reply_query_count_is_constant_for_flow_size_and_conversation_length(api_client):
    counts = {}
    for size in (10, 10_000):
        bot = published_bot(graph=loop_graph(size - 6))
        session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()[
            "session_id"
        ]
        _reply_queries(api_client, session_id, "warm-up")  # the first turn loads the snapshot into the cache
        counts[size, "early"] = _reply_queries(api_client, session_id, "hello")
        for turn in range(497):
            api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": f"t{turn}"}, format="json")
        counts[size, "500th"] = _reply_queries(api_client, session_id, "five hundred")
        assert ChatSession.objects.get(pk=session_id).message_count > 1000
    assert len(set(counts.values())) == 1, counts
    assert counts[10, "early"] <= REPLY_QUERY_BUDGET, counts


def chain_graph(inputs: int) -> dict:
    nodes = [node("start", "start")] + [node(f"q{i}", "text_input", variable="x") for i in range(inputs)]
    nodes.append(node("end", "end"))
    ids = [n["id"] for n in nodes]
    return {
        "nodes": nodes,
        "edges": [edge(a, b) for a, b in itertools.pairwise(ids)],
        "variables": [{"name": "x", "default": None}],
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_to_one_input_get_one_200_and_one_409():
    rounds = 15
    bot = published_bot(graph=chain_graph(rounds))
    session_id = APIClient().post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    url = f"/api/flows/public/sessions/{session_id}/reply/"
    for round_number in range(rounds):
        statuses: list[int] = []
        barrier = threading.Barrier(2)

        def answer(value, round_number=round_number, barrier=barrier, statuses=statuses):
            try:
                client = APIClient()
                barrier.wait()
                response = client.post(url, {"value": value, "node_id": f"q{round_number}"}, format="json")
                statuses.append(response.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=answer, args=(f"r{round_number}-{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 409], (round_number, statuses)
        assert UserInput.objects.filter(session_id=session_id, node_id=f"q{round_number}").count() == 1
    session = ChatSession.objects.get(pk=session_id)
    assert session.status == "completed"
    assert UserInput.objects.filter(session=session).count() == rounds
