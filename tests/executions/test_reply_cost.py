from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from executions.models import ChatSession
from tests.factories import loop_graph, published_bot

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
