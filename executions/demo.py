"""The demo bot `make run` publishes: a short tour of what flows can do."""

from flows.starter_templates import graph_edge, graph_node, graph_variables

DEMO_GRAPH = {
    "nodes": [
        graph_node("start", "start", 0),
        graph_node("hello", "message", 220, text="Hi! I'm the demo bot of this chatbot builder. 👋"),
        graph_node("ask_name", "text_input", 440, prompt="What's your name?", variable="name", max_length=60),
        graph_node(
            "ask_email",
            "email_input",
            660,
            prompt="Nice to meet you, {{name}}! What's your email? (It stays in this demo's results.)",
            variable="email",
        ),
        graph_node(
            "ask_goal",
            "choice",
            880,
            prompt="Thanks! What brings you here?",
            variable="goal",
            options=[
                {"id": "build", "label": "I want to build a bot", "value": "build"},
                {"id": "explore", "label": "Just exploring", "value": "explore"},
            ],
        ),
        graph_node(
            "build_tip", "message", 1100, -90, text="Great! Open Swagger UI at /api/schema/swagger-ui/ to try the API."
        ),
        graph_node(
            "explore_tip", "message", 1100, 90, text="Welcome! Every node you see here is a component of the catalog."
        ),
        graph_node(
            "ask_score",
            "rating",
            1320,
            prompt="How would you rate this demo, from 0 to 10?",
            variable="score",
            min=0,
            max=10,
        ),
        graph_node(
            "happy",
            "condition",
            1540,
            branches=[
                {
                    "id": "fan",
                    "match": "all",
                    "rules": [{"variable": "score", "operator": "greater_or_equal", "value": 8}],
                }
            ],
        ),
        graph_node("thanks_fan", "message", 1760, -90, text="Thank you, {{name}}! A {{score}} made our day. 🎉"),
        graph_node(
            "ask_feedback",
            "text_input",
            1760,
            90,
            prompt="What could be better?",
            variable="feedback",
            multiline=True,
            max_length=2000,
        ),
        graph_node("bye", "message", 1980, text="That's the end of the demo. Goodbye, {{name}}!"),
        graph_node("end", "end", 2200),
    ],
    "edges": [
        graph_edge("start", "hello"),
        graph_edge("hello", "ask_name"),
        graph_edge("ask_name", "ask_email"),
        graph_edge("ask_email", "ask_goal"),
        graph_edge("ask_goal", "build_tip", "build"),
        graph_edge("ask_goal", "explore_tip", "explore"),
        graph_edge("ask_goal", "explore_tip", "default"),
        graph_edge("build_tip", "ask_score"),
        graph_edge("explore_tip", "ask_score"),
        graph_edge("ask_score", "happy"),
        graph_edge("happy", "thanks_fan", "fan"),
        graph_edge("happy", "ask_feedback", "else"),
        graph_edge("thanks_fan", "bye"),
        graph_edge("ask_feedback", "bye"),
        graph_edge("bye", "end"),
    ],
    "variables": graph_variables("name", "email", "goal", "score", "feedback"),
}
