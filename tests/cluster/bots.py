"""Bots the cluster tests build through the builder API, and a visitor's conversation with them."""

from flows.starter_templates import graph_edge, graph_node, graph_variables
from tests.cluster.harness import Api

# name → plan → email → a goodbye that repeats all three.
SIGN_UP = {
    "nodes": [
        graph_node("start", "start"),
        graph_node("hello", "message", text="Hello from the cluster!"),
        graph_node("ask_name", "text_input", prompt="Your name?", variable="name", max_length=60),
        graph_node(
            "ask_plan",
            "choice",
            prompt="Which plan, {{name}}?",
            variable="plan",
            options=[
                {"id": "basic", "label": "Basic", "value": "basic"},
                {"id": "pro", "label": "Pro", "value": "pro"},
            ],
        ),
        graph_node("ask_email", "email_input", prompt="Your email?", variable="email"),
        graph_node("bye", "message", text="Thanks {{name}}: {{plan}} for {{email}}."),
        graph_node("end", "end"),
    ],
    "edges": [
        graph_edge("start", "hello"),
        graph_edge("hello", "ask_name"),
        graph_edge("ask_name", "ask_plan"),
        graph_edge("ask_plan", "ask_email", "default"),
        graph_edge("ask_email", "bye"),
        graph_edge("bye", "end"),
    ],
    "variables": graph_variables("name", "plan", "email"),
}


def greeting_graph(text: str) -> dict:
    """start → one message → one question: what a new session's first Turn says tells the version."""
    return {
        "nodes": [
            graph_node("start", "start"),
            graph_node("greet", "message", text=text),
            graph_node("ask", "text_input", prompt="Anything else?", variable="answer"),
            graph_node("end", "end"),
        ],
        "edges": [graph_edge("start", "greet"), graph_edge("greet", "ask"), graph_edge("ask", "end")],
        "variables": graph_variables("answer"),
    }


def bot_publish(owner: Api, name: str, graph: dict, *, server: int = 0) -> dict:
    """Create a bot, save its main flow's graph and publish it; returns the chatbot."""
    bot = owner.ok("POST", "/api/chatbots/", json={"name": name}, expect=201, server=server)
    owner.ok("PUT", f"/api/chatbots/{bot['id']}/flows/{bot['main_flow']}/graph/", json=graph, server=server)
    owner.ok("POST", f"/api/chatbots/{bot['id']}/publish/", json={"changelog": name}, expect=201, server=server)
    return owner.ok("GET", f"/api/chatbots/{bot['id']}/", server=server)


def texts(turn: dict) -> list[str]:
    return [message["text"] for message in turn["messages"] if message["type"] == "text"]
