"""The public flow templates shipped with the product (loaded by a data migration)."""


def graph_node(node_id: str, type_name: str, x: float = 0, y: float = 0, **data) -> dict:
    """A node in the graph shape of docs/graph.md (for graphs written in code: templates, the demo bot)."""
    return {"id": node_id, "type": type_name, "position": {"x": x, "y": y}, "data": data}


def graph_edge(source: str, target: str, handle: str = "next", edge_id: str | None = None) -> dict:
    return {"id": edge_id or f"e-{source}-{handle}", "source": source, "source_handle": handle, "target": target}


def graph_variables(*names: str) -> list[dict]:
    return [{"name": name, "default": None} for name in names]


LEAD_CAPTURE = {
    "nodes": [
        graph_node("start", "start", 0),
        graph_node("hello", "message", 250, text="Hi there! 👋 Let's get you in touch with our team."),
        graph_node("ask_name", "text_input", 500, prompt="What's your name?", variable="name", max_length=100),
        graph_node(
            "ask_email", "email_input", 750, prompt="Nice to meet you, {{name}}! What's your email?", variable="email"
        ),
        graph_node(
            "ask_company", "text_input", 1000, prompt="Which company are you with?", variable="company", max_length=200
        ),
        graph_node(
            "ask_interest",
            "choice",
            1250,
            prompt="What are you interested in?",
            variable="interest",
            options=[
                {"id": "demo", "label": "A product demo", "value": "demo"},
                {"id": "pricing", "label": "Pricing", "value": "pricing"},
                {"id": "partnership", "label": "A partnership", "value": "partnership"},
            ],
        ),
        graph_node(
            "thanks", "message", 1500, text="Thanks {{name}}! We'll write to {{email}} within one business day."
        ),
        graph_node("end", "end", 1750),
    ],
    "edges": [
        graph_edge("start", "hello"),
        graph_edge("hello", "ask_name"),
        graph_edge("ask_name", "ask_email"),
        graph_edge("ask_email", "ask_company"),
        graph_edge("ask_company", "ask_interest"),
        graph_edge("ask_interest", "thanks", "default"),
        graph_edge("thanks", "end"),
    ],
    "variables": graph_variables("name", "email", "company", "interest"),
}

FAQ_MENU = {
    "nodes": [
        graph_node("start", "start", 0),
        graph_node("hello", "message", 250, text="Hi! I can answer the most common questions."),
        graph_node(
            "menu",
            "choice",
            500,
            prompt="What would you like to know?",
            variable="topic",
            options=[
                {"id": "shipping", "label": "Shipping", "value": "shipping"},
                {"id": "returns", "label": "Returns", "value": "returns"},
                {"id": "payment", "label": "Payment methods", "value": "payment"},
                {"id": "human", "label": "Talk to a person", "value": "human"},
            ],
        ),
        graph_node("shipping", "message", 800, -200, text="We ship within 2 business days; delivery takes 3–5 days."),
        graph_node("returns", "message", 800, -70, text="You can return any item within 30 days for a full refund."),
        graph_node("payment", "message", 800, 60, text="We accept cards, PayPal and bank transfers."),
        graph_node(
            "more",
            "choice",
            1100,
            -70,
            prompt="Anything else?",
            options=[{"id": "yes", "label": "Yes, another question"}, {"id": "no", "label": "No, thanks"}],
        ),
        graph_node("again", "jump", 1400, -150, target="menu"),
        graph_node("bye", "message", 1400, 0, text="Happy to help. Have a great day!"),
        graph_node(
            "ask_email",
            "email_input",
            800,
            200,
            prompt="Sure! What's your email? A person will write to you.",
            variable="email",
        ),
        graph_node("handoff", "message", 1100, 200, text="Thanks! Someone from our team will reply to {{email}}."),
        graph_node("end", "end", 1700, 100),
    ],
    "edges": [
        graph_edge("start", "hello"),
        graph_edge("hello", "menu"),
        graph_edge("menu", "shipping", "shipping"),
        graph_edge("menu", "returns", "returns"),
        graph_edge("menu", "payment", "payment"),
        graph_edge("menu", "ask_email", "human"),
        graph_edge("menu", "more", "default"),
        graph_edge("shipping", "more"),
        graph_edge("returns", "more"),
        graph_edge("payment", "more"),
        graph_edge("more", "again", "yes"),
        graph_edge("more", "bye", "no"),
        graph_edge("more", "bye", "default"),
        graph_edge("bye", "end"),
        graph_edge("ask_email", "handoff"),
        graph_edge("handoff", "end"),
    ],
    "variables": graph_variables("topic", "email"),
}

NPS_SURVEY = {
    "nodes": [
        graph_node("start", "start", 0),
        graph_node(
            "ask_score",
            "rating",
            250,
            prompt="How likely are you to recommend us to a friend?",
            variable="score",
            min=0,
            max=10,
        ),
        graph_node(
            "segment",
            "condition",
            500,
            branches=[
                {
                    "id": "promoter",
                    "match": "all",
                    "rules": [{"variable": "score", "operator": "greater_or_equal", "value": 9}],
                },
                {
                    "id": "passive",
                    "match": "all",
                    "rules": [{"variable": "score", "operator": "greater_or_equal", "value": 7}],
                },
            ],
        ),
        graph_node("promoter", "message", 800, -120, text="Wonderful, thank you! 🎉"),
        graph_node("passive", "message", 800, 0, text="Thanks! We'd love to earn a 10."),
        graph_node("detractor", "message", 800, 120, text="Sorry we let you down. We want to fix it."),
        graph_node(
            "ask_reason",
            "text_input",
            1100,
            prompt="What's the main reason for your score?",
            variable="reason",
            multiline=True,
            max_length=2000,
        ),
        graph_node("thanks", "message", 1350, text="Thank you for your feedback!"),
        graph_node("end", "end", 1600),
    ],
    "edges": [
        graph_edge("start", "ask_score"),
        graph_edge("ask_score", "segment"),
        graph_edge("segment", "promoter", "promoter"),
        graph_edge("segment", "passive", "passive"),
        graph_edge("segment", "detractor", "else"),
        graph_edge("promoter", "ask_reason"),
        graph_edge("passive", "ask_reason"),
        graph_edge("detractor", "ask_reason"),
        graph_edge("ask_reason", "thanks"),
        graph_edge("thanks", "end"),
    ],
    "variables": graph_variables("score", "reason"),
}

APPOINTMENT_REQUEST = {
    "nodes": [
        graph_node("start", "start", 0),
        graph_node("hello", "message", 250, text="Let's book your appointment. It takes a minute."),
        graph_node("ask_name", "text_input", 500, prompt="What's your name?", variable="name", max_length=100),
        graph_node("ask_date", "date_input", 750, prompt="Which day suits you, {{name}}?", variable="date"),
        graph_node(
            "ask_slot",
            "choice",
            1000,
            prompt="Morning, afternoon or evening?",
            variable="time_slot",
            options=[
                {"id": "morning", "label": "Morning (9–12)", "value": "morning"},
                {"id": "afternoon", "label": "Afternoon (12–17)", "value": "afternoon"},
                {"id": "evening", "label": "Evening (17–20)", "value": "evening"},
            ],
        ),
        graph_node("ask_phone", "phone_input", 1250, prompt="A phone number to confirm?", variable="phone"),
        graph_node("ask_email", "email_input", 1500, prompt="And your email?", variable="email"),
        graph_node(
            "summary",
            "message",
            1750,
            text="Thanks {{name}}! You asked for {{date}} ({{time_slot}}). We'll confirm at {{email}}.",
        ),
        graph_node("end", "end", 2000),
    ],
    "edges": [
        graph_edge("start", "hello"),
        graph_edge("hello", "ask_name"),
        graph_edge("ask_name", "ask_date"),
        graph_edge("ask_date", "ask_slot"),
        graph_edge("ask_slot", "ask_phone", "default"),
        graph_edge("ask_phone", "ask_email"),
        graph_edge("ask_email", "summary"),
        graph_edge("summary", "end"),
    ],
    "variables": graph_variables("name", "date", "time_slot", "phone", "email"),
}

STARTER_TEMPLATES = [
    {
        "name": "Lead capture",
        "description": "Collect a visitor's name, email, company and interest.",
        "category": "lead_generation",
        "tags": ["leads", "sales", "form"],
        "graph": LEAD_CAPTURE,
    },
    {
        "name": "FAQ menu",
        "description": "Answer common questions from a menu, with a hand-off to a person.",
        "category": "support",
        "tags": ["faq", "support", "menu"],
        "graph": FAQ_MENU,
    },
    {
        "name": "NPS survey",
        "description": "Net Promoter Score with a follow-up question tailored to the score.",
        "category": "survey",
        "tags": ["nps", "feedback", "survey"],
        "graph": NPS_SURVEY,
    },
    {
        "name": "Appointment request",
        "description": "Ask for a preferred day and time slot, then contact details.",
        "category": "scheduling",
        "tags": ["booking", "appointment", "calendar"],
        "graph": APPOINTMENT_REQUEST,
    },
]
