"""`make load` is not run by CI (a minute of load): what it stands on is checked here, its data
and the conversations its visitors hold."""

import random

import pytest

from bench.load.seed import load_graph, seed
from bench.load.visitor import answer
from chatbots.models import Chatbot
from executions.models import ChatSession

pytestmark = pytest.mark.django_db


def test_load_seed_publishes_every_bot_with_conversations_on_the_owners_ones():
    data = seed(owners=2, bots_per_owner=1, sessions_per_bot=5, builders=2)
    assert len(data["public_ids"]) == 2
    assert data["graph_nodes"] == len(load_graph()["nodes"])
    assert Chatbot.objects.filter(status=Chatbot.Status.PUBLISHED).count() == 4
    sessions = ChatSession.objects.filter(chatbot__public_id__in=data["public_ids"])
    assert sessions.count() == 10
    assert sessions.filter(status="completed").count() == 8  # one in five left half way
    builder = data["builders"][0]
    assert (builder["edge_source"], builder["edge_target"]) == ("bye", "end")


def test_a_load_visitor_answers_every_question_of_the_load_graph_to_the_end(api_client):
    data = seed(owners=1, bots_per_owner=1, sessions_per_bot=0, builders=0)
    rng = random.Random(7)
    for _ in range(5):
        turn = api_client.post(f"/api/flows/public/{data['public_ids'][0]}/start/", {}, format="json").json()
        answered = 0
        while turn["status"] == "active":
            body = {"value": answer(turn["input"], rng), "node_id": turn["input"]["node_id"]}
            response = api_client.post(f"/api/flows/public/sessions/{turn['session_id']}/reply/", body, format="json")
            assert response.status_code == 200
            new = response.json()
            assert new["input"] is None or new["input"]["node_id"] != turn["input"]["node_id"]  # no retry
            turn, answered = new, answered + 1
        assert turn["status"] == "completed"
        assert answered >= 8  # the demo's 4 questions (and feedback after a low score), the tour's 4
