"""The public flow templates shipped with the product (loaded by a data migration)."""


def _node(node_id: str, type_name: str, x: int, y: int = 0, **data) -> dict:
    return {"id": node_id, "type": type_name, "position": {"x": x, "y": y}, "data": data}


def _edge(source: str, target: str, handle: str = "next") -> dict:
    return {"id": f"e-{source}-{handle}", "source": source, "source_handle": handle, "target": target}


def _variables(*names: str) -> list[dict]:
    return [{"name": name, "default": None} for name in names]


LEAD_CAPTURE = {
    "nodes": [
        _node("start", "start", 0),
        _node("hello", "message", 250, text="Hi there! 👋 Let's get you in touch with our team."),
        _node("ask_name", "text_input", 500, prompt="What's your name?", variable="name", max_length=100),
        _node(
            "ask_email", "email_input", 750, prompt="Nice to meet you, {{name}}! What's your email?", variable="email"
        ),
        _node(
            "ask_company", "text_input", 1000, prompt="Which company are you with?", variable="company", max_length=200
        ),
        _node(
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
        _node("thanks", "message", 1500, text="Thanks {{name}}! We'll write to {{email}} within one business day."),
        _node("end", "end", 1750),
    ],
    "edges": [
        _edge("start", "hello"),
        _edge("hello", "ask_name"),
        _edge("ask_name", "ask_email"),
        _edge("ask_email", "ask_company"),
        _edge("ask_company", "ask_interest"),
        _edge("ask_interest", "thanks", "default"),
        _edge("thanks", "end"),
    ],
    "variables": _variables("name", "email", "company", "interest"),
}

FAQ_MENU = {
    "nodes": [
        _node("start", "start", 0),
        _node("hello", "message", 250, text="Hi! I can answer the most common questions."),
        _node(
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
        _node("shipping", "message", 800, -200, text="We ship within 2 business days; delivery takes 3–5 days."),
        _node("returns", "message", 800, -70, text="You can return any item within 30 days for a full refund."),
        _node("payment", "message", 800, 60, text="We accept cards, PayPal and bank transfers."),
        _node(
            "more",
            "choice",
            1100,
            -70,
            prompt="Anything else?",
            options=[{"id": "yes", "label": "Yes, another question"}, {"id": "no", "label": "No, thanks"}],
        ),
        _node("again", "jump", 1400, -150, target="menu"),
        _node("bye", "message", 1400, 0, text="Happy to help. Have a great day!"),
        _node(
            "ask_email",
            "email_input",
            800,
            200,
            prompt="Sure! What's your email? A person will write to you.",
            variable="email",
        ),
        _node("handoff", "message", 1100, 200, text="Thanks! Someone from our team will reply to {{email}}."),
        _node("end", "end", 1700, 100),
    ],
    "edges": [
        _edge("start", "hello"),
        _edge("hello", "menu"),
        _edge("menu", "shipping", "shipping"),
        _edge("menu", "returns", "returns"),
        _edge("menu", "payment", "payment"),
        _edge("menu", "ask_email", "human"),
        _edge("menu", "more", "default"),
        _edge("shipping", "more"),
        _edge("returns", "more"),
        _edge("payment", "more"),
        _edge("more", "again", "yes"),
        _edge("more", "bye", "no"),
        _edge("more", "bye", "default"),
        _edge("bye", "end"),
        _edge("ask_email", "handoff"),
        _edge("handoff", "end"),
    ],
    "variables": _variables("topic", "email"),
}

NPS_SURVEY = {
    "nodes": [
        _node("start", "start", 0),
        _node(
            "ask_score",
            "rating",
            250,
            prompt="How likely are you to recommend us to a friend?",
            variable="score",
            min=0,
            max=10,
        ),
        _node(
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
        _node("promoter", "message", 800, -120, text="Wonderful, thank you! 🎉"),
        _node("passive", "message", 800, 0, text="Thanks! We'd love to earn a 10."),
        _node("detractor", "message", 800, 120, text="Sorry we let you down. We want to fix it."),
        _node(
            "ask_reason",
            "text_input",
            1100,
            prompt="What's the main reason for your score?",
            variable="reason",
            multiline=True,
            max_length=2000,
        ),
        _node("thanks", "message", 1350, text="Thank you for your feedback!"),
        _node("end", "end", 1600),
    ],
    "edges": [
        _edge("start", "ask_score"),
        _edge("ask_score", "segment"),
        _edge("segment", "promoter", "promoter"),
        _edge("segment", "passive", "passive"),
        _edge("segment", "detractor", "else"),
        _edge("promoter", "ask_reason"),
        _edge("passive", "ask_reason"),
        _edge("detractor", "ask_reason"),
        _edge("ask_reason", "thanks"),
        _edge("thanks", "end"),
    ],
    "variables": _variables("score", "reason"),
}

APPOINTMENT_REQUEST = {
    "nodes": [
        _node("start", "start", 0),
        _node("hello", "message", 250, text="Let's book your appointment. It takes a minute."),
        _node("ask_name", "text_input", 500, prompt="What's your name?", variable="name", max_length=100),
        _node("ask_date", "date_input", 750, prompt="Which day suits you, {{name}}?", variable="date"),
        _node(
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
        _node("ask_phone", "phone_input", 1250, prompt="A phone number to confirm?", variable="phone"),
        _node("ask_email", "email_input", 1500, prompt="And your email?", variable="email"),
        _node(
            "summary",
            "message",
            1750,
            text="Thanks {{name}}! You asked for {{date}} ({{time_slot}}). We'll confirm at {{email}}.",
        ),
        _node("end", "end", 2000),
    ],
    "edges": [
        _edge("start", "hello"),
        _edge("hello", "ask_name"),
        _edge("ask_name", "ask_date"),
        _edge("ask_date", "ask_slot"),
        _edge("ask_slot", "ask_phone", "default"),
        _edge("ask_phone", "ask_email"),
        _edge("ask_email", "summary"),
        _edge("summary", "end"),
    ],
    "variables": _variables("name", "date", "time_slot", "phone", "email"),
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
