"""Builder benchmarks: graph PUT query counts, the time to publish a 10,000-node bot and to
import a Typebot export of nearly 10,000 blocks.

Run with `make bench-builder` (or `python -m bench.builder`). Uses a throwaway test database
on whatever DATABASE_URL points at (SQLite by default). Figures, not assertions: the
machines are shared and noisy, so compare runs made side by side.
"""

import itertools
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _graph(size: int) -> dict:
    from tests.factories import edge, node

    # A realistic mix: a question every tenth node, messages with placeholders, a condition
    # every fiftieth node branching forward.
    nodes = [node("start", "start")]
    for i in range(size - 2):
        if i % 50 == 25:
            nodes.append(
                node(
                    f"n{i}",
                    "condition",
                    branches=[{"id": "yes", "rules": [{"variable": "answer", "operator": "is_set"}]}],
                )
            )
        elif i % 10 == 5:
            nodes.append(node(f"n{i}", "text_input", prompt=f"Question {i}?", variable="answer"))
        else:
            nodes.append(node(f"n{i}", "message", text=f"Step {i}: {{{{answer}}}}"))
    nodes.append(node("end", "end"))
    edges = []
    for a, b in itertools.pairwise(nodes):
        handle = "yes" if a["type"] == "condition" else "next"
        edges.append(edge(a["id"], b["id"], handle))
        if a["type"] == "condition":
            edges.append(edge(a["id"], b["id"], "else"))
    return {"nodes": nodes, "edges": edges, "variables": [{"name": "answer", "default": None}]}


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from rest_framework.test import APIClient

        from components.importers.services import chatbot_import
        from components.services import chatbot_publish
        from tests.factories import ChatbotFactory, UserFactory

        user = UserFactory()
        client = APIClient()
        client.force_authenticate(user)
        print(f"database: {connection.vendor}")

        for size in (10, 1000):
            bot = ChatbotFactory(owner=user)
            url = f"/api/chatbots/{bot.pk}/flows/{bot.main_flow_id}/graph/"
            graph = _graph(size)
            with CaptureQueriesContext(connection) as first:
                assert client.put(url, graph, format="json").status_code == 200
            for item in graph["nodes"]:
                if item["type"] == "message":
                    item["data"]["text"] += " (edited)"
            with CaptureQueriesContext(connection) as again:
                assert client.put(url, graph, format="json").status_code == 200
            print(f"graph PUT, {size:>5} nodes: {len(first)} queries (new graph), {len(again)} queries (edited graph)")

        bot = ChatbotFactory(owner=user)
        response = client.put(f"/api/chatbots/{bot.pk}/flows/{bot.main_flow_id}/graph/", _graph(10_000), format="json")
        assert response.status_code == 200, response.content[:500]
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            chatbot_publish(bot, user=user)
            timings.append(time.perf_counter() - started)
        print(
            f"publish, 10,000 nodes: median {statistics.median(timings):.3f} s, "
            f"min {min(timings):.3f} s over {len(timings)} runs"
        )
        document = _typebot_export(999)
        blocks = sum(len(g["blocks"]) for g in document["groups"])
        size = len(json.dumps(document))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                _, report = chatbot_import(user, document=document)
            timings.append(time.perf_counter() - started)
        print(
            f"Typebot import, {blocks} blocks ({size / 1e6:.1f} MB, {len(report['warnings'])} warnings): "
            f"median {statistics.median(timings):.3f} s, min {min(timings):.3f} s over {len(timings)} runs, "
            f"{len(queries)} queries"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _typebot_export(groups: int) -> dict:
    """`groups` groups of ten blocks (texts, questions, scores, a condition, a link to a shared
    group), each leading to the next."""
    from tests.components.typebot_files import block, buttons, comparison, condition, edge, export, group, set_variable
    from tests.components.typebot_files import text as bubble

    made, edges = [], []
    for g in range(groups):
        last = g == groups - 1
        made.append(
            group(
                f"g{g}",
                f"Step {g}",
                bubble(f"t{g}", f"Step {g}, {{{{First name}}}}: your score is {{{{Lead Score}}}}."),
                block(f"ask{g}", "text input", options={"variableId": "name", "labels": {"placeholder": "Name"}}),
                set_variable(f"add{g}", "score", "{{Lead Score}} + 10"),
                buttons(f"pick{g}", "pick", ("a", "A"), ("b", "B")),
                bubble(f"u{g}", "Thanks!"),
                block(f"mail{g}", "email input", options={"variableId": "email"}),
                condition(f"c{g}", (f"i{g}", [comparison("score", "Greater than", "50")], "AND", None)),
                block(f"l{g}", "Typebot link", options={"typebotId": "current", "groupId": "shared"}),
                block(f"code{g}", "Code"),
                bubble(f"v{g}", "On we go", edge=None if last else f"e{g}"),
            )
        )
        if not last:
            edges.append(edge(f"e{g}", f"g{g + 1}", source=f"v{g}"))
    made.append(group("shared", "Shared", bubble("s", "A shared step")))
    variables = (("name", "First name"), ("score", "Lead Score"), ("pick", "Pick"), ("email", "Email"))
    return export(*made, variables=variables, edges=tuple(edges), start="g0")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
