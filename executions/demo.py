"""The demo bot `make run` publishes: a short tour of what flows can do."""


def _node(node_id: str, type_name: str, x: int, y: int = 0, **data) -> dict:
    return {"id": node_id, "type": type_name, "position": {"x": x, "y": y}, "data": data}


def _edge(source: str, target: str, handle: str = "next") -> dict:
    return {"id": f"{source}-{handle}", "source": source, "source_handle": handle, "target": target}


DEMO_GRAPH = {
    "nodes": [
        _node("start", "start", 0),
        _node("hello", "message", 220, text="Hi! I'm the demo bot of this chatbot builder. 👋"),
        _node("ask_name", "text_input", 440, prompt="What's your name?", variable="name", max_length=60),
        _node(
            "ask_goal",
            "choice",
            660,
            prompt="Nice to meet you, {{name}}! What brings you here?",
            variable="goal",
            options=[
                {"id": "build", "label": "I want to build a bot", "value": "build"},
                {"id": "explore", "label": "Just exploring", "value": "explore"},
            ],
        ),
        _node(
            "build_tip", "message", 880, -90, text="Great! Open Swagger UI at /api/schema/swagger-ui/ to try the API."
        ),
        _node(
            "explore_tip", "message", 880, 90, text="Welcome! Every node you see here is a component of the catalog."
        ),
        _node(
            "ask_score",
            "rating",
            1100,
            prompt="How would you rate this demo, from 0 to 10?",
            variable="score",
            min=0,
            max=10,
        ),
        _node(
            "happy",
            "condition",
            1320,
            branches=[
                {
                    "id": "fan",
                    "match": "all",
                    "rules": [{"variable": "score", "operator": "greater_or_equal", "value": 8}],
                }
            ],
        ),
        _node("thanks_fan", "message", 1540, -90, text="Thank you, {{name}}! A {{score}} made our day. 🎉"),
        _node(
            "ask_feedback",
            "text_input",
            1540,
            90,
            prompt="What could be better?",
            variable="feedback",
            multiline=True,
            max_length=2000,
        ),
        _node("bye", "message", 1760, text="That's the end of the demo. Goodbye, {{name}}!"),
        _node("end", "end", 1980),
    ],
    "edges": [
        _edge("start", "hello"),
        _edge("hello", "ask_name"),
        _edge("ask_name", "ask_goal"),
        _edge("ask_goal", "build_tip", "build"),
        _edge("ask_goal", "explore_tip", "explore"),
        _edge("ask_goal", "explore_tip", "default"),
        _edge("build_tip", "ask_score"),
        _edge("explore_tip", "ask_score"),
        _edge("ask_score", "happy"),
        _edge("happy", "thanks_fan", "fan"),
        _edge("happy", "ask_feedback", "else"),
        _edge("thanks_fan", "bye"),
        _edge("ask_feedback", "bye"),
        _edge("bye", "end"),
    ],
    "variables": [{"name": n, "default": None} for n in ("name", "goal", "score", "feedback")],
}
