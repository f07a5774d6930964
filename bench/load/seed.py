"""The data `make load` runs on: owners with published bots of a realistic size and some
finished conversations on them (so results, transcripts and the CSV have rows), and one
account and bot per builder (a builder edits a graph no one else edits, as in real life).

Runs in the app's virtualenv with Django set up; writes through the product's services."""

import copy
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from components.graph import GraphDraft, graph_save
from components.models import ComponentConnection
from components.services import chatbot_create, chatbot_publish
from executions import services as chat
from executions.demo import DEMO_GRAPH
from flows.starter_templates import graph_edge, graph_node

from .visitor import answer

PASSWORD = "Load-test-passphrase-2026"  # noqa: S105 (a throwaway database's users)
# Where a builder inserts and removes a node: the edge bye -> end of the load graph.
INSERT_EDGE = "e-bye-next"


def load_graph(sections: int = 4) -> dict:
    """The demo bot's tour (5 inputs, a branch on a choice and one on a condition), followed by
    `sections` parts of a product tour, each a message and a three-way choice whose answers lead
    to their own message: 15 + 5 x `sections` nodes, a conversation of 5 + `sections` answers."""
    graph = copy.deepcopy(DEMO_GRAPH)
    first = "s0" if sections else "bye"
    graph["edges"] = [{**e, "target": first} if e["target"] == "bye" else e for e in graph["edges"]]
    for i in range(sections):
        follow = f"s{i + 1}" if i + 1 < sections else "bye"
        x = 2000 + 660 * i
        graph["nodes"] += [
            graph_node(f"s{i}", "message", x, text=f"Part {i + 1} of the tour, {{{{name}}}}: flows are graphs."),
            graph_node(
                f"s{i}_ask",
                "choice",
                x + 220,
                prompt="Was that useful?",
                variable="useful",
                options=[
                    {"id": "yes", "label": "Yes", "value": "yes"},
                    {"id": "more", "label": "Tell me more", "value": "more"},
                    {"id": "no", "label": "Not really", "value": "no"},
                ],
            ),
        ]
        graph["edges"].append(graph_edge(f"s{i}", f"s{i}_ask"))
        for row, option in enumerate(("yes", "more", "no")):
            graph["nodes"].append(graph_node(f"s{i}_{option}", "message", x + 440, 90 * (row - 1), text=f"{option}!"))
            graph["edges"] += [graph_edge(f"s{i}_ask", f"s{i}_{option}", option), graph_edge(f"s{i}_{option}", follow)]
    graph["variables"].append({"name": "useful", "default": None})
    # The demo's bye -> end: moved to the end so that a builder's edit lands on the last step.
    for x, item in enumerate(node for node in graph["nodes"] if node["id"] in ("bye", "end")):
        item["position"] = {"x": 2000 + 660 * sections + 220 * x, "y": 0}
    return graph


def _publish(owner, name: str, graph: dict):
    bot = chatbot_create(owner, name=name, appearance={"title": name, "welcome_text": "Hi!"})
    graph_save(bot.main_flow, GraphDraft(**graph))
    chatbot_publish(bot, user=owner, changelog="Load test")
    bot.refresh_from_db()
    return bot


def _converse(public_id: str, rng: random.Random, *, finish: bool) -> None:
    turn = chat.session_start(public_id=public_id, user_agent="make load seed")
    answers = 0
    while turn["status"] == "active" and turn["input"] and (finish or answers < 2):
        node_id = turn["input"]["node_id"]
        turn = chat.session_reply(turn["session_id"], value=answer(turn["input"], rng), node_id=node_id)
        answers += 1


def seed(*, owners: int, bots_per_owner: int, sessions_per_bot: int, builders: int, seed: int = 16) -> dict:
    """Create the accounts, bots and conversations; returns what the locustfile needs."""
    rng = random.Random(seed)
    users = get_user_model().objects
    password = make_password(PASSWORD)  # hashed once: every account has the same password
    graph = load_graph()
    data = {"password": PASSWORD, "owners": [], "builders": [], "public_ids": [], "graph_nodes": len(graph["nodes"])}
    for o in range(owners):
        owner = users.create(username=f"owner{o}", email=f"owner{o}@example.com", password=password)
        bots = [_publish(owner, f"Owner {o} bot {b}", graph) for b in range(bots_per_owner)]
        for bot in bots:
            for s in range(sessions_per_bot):
                _converse(bot.public_id, rng, finish=s % 5 != 4)  # one in five left half way
        data["owners"].append({"username": owner.username, "chatbots": [bot.pk for bot in bots]})
        data["public_ids"] += [bot.public_id for bot in bots]
    for b in range(builders):
        builder = users.create(username=f"builder{b}", email=f"builder{b}@example.com", password=password)
        bot = _publish(builder, f"Builder {b} bot", graph)
        edge = ComponentConnection.objects.select_related("source", "target").get(
            flow=bot.main_flow, edge_id=INSERT_EDGE
        )
        data["builders"].append(
            {
                "username": builder.username,
                "chatbot": bot.pk,
                "flow": bot.main_flow_id,
                "edge": edge.pk,
                "edge_source": edge.source.node_id,
                "edge_target": edge.target.node_id,
            }
        )
    return data
