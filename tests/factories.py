import itertools

from django.contrib.auth import get_user_model

import factory

from flows.starter_templates import graph_edge, graph_node

DEFAULT_PASSWORD = "Sup3r-secret-passphrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(DEFAULT_PASSWORD)


class ChatbotFactory(factory.django.DjangoModelFactory):
    """A chatbot made the way the API makes one: with its main flow holding a start node."""

    class Meta:
        model = "chatbots.Chatbot"

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Bot {n}")
    description = "A test bot"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from components.services import chatbot_create

        return chatbot_create(kwargs.pop("owner"), **kwargs)


def node(node_id: str, type_name: str, x: float = 0, y: float = 0, **data) -> dict:
    return graph_node(node_id, type_name, x, y, **data)


def edge(source: str, target: str, handle: str = "next", edge_id: str | None = None) -> dict:
    return graph_edge(source, target, handle, edge_id or f"{source}-{handle}-{target}")


def linear_graph(size: int, *, variables: tuple[str, ...] = ("name",)) -> dict:
    """start -> (size - 2) messages -> end: a valid graph of `size` nodes."""
    nodes = [node("start", "start")]
    nodes += [node(f"m{i}", "message", x=i * 10, text=f"Step {i} for {{{{name}}}}") for i in range(size - 2)]
    nodes.append(node("end", "end"))
    ids = [n["id"] for n in nodes]
    return {
        "nodes": nodes,
        "edges": [edge(a, b) for a, b in itertools.pairwise(ids)],
        "variables": [{"name": v, "default": None} for v in variables],
    }


def published_bot(owner=None, graph: dict | None = None, **fields):
    """A chatbot whose main flow holds `graph` (default: a two-question form), published."""
    from components.graph import GraphDraft, graph_save
    from components.services import chatbot_publish

    chatbot = ChatbotFactory(owner=owner or UserFactory(), **fields)
    graph_save(chatbot.main_flow, GraphDraft(**(graph or form_graph())))
    chatbot_publish(chatbot, user=chatbot.owner)
    chatbot.refresh_from_db()
    return chatbot


def file_upload_graph(**options) -> dict:
    """start -> cv (a file_upload input with `options`) -> end: a session starts waiting for a file."""
    return {
        "nodes": [node("start", "start"), node("cv", "file_upload", variable="cv", **options), node("end", "end")],
        "edges": [edge("start", "cv"), edge("cv", "end")],
        "variables": [{"name": "cv"}],
    }


def form_graph() -> dict:
    """start -> hello -> name (text) -> email -> choice (yes/no branches) -> bye -> end."""
    return {
        "nodes": [
            node("start", "start"),
            node("hello", "message", text="Hello!"),
            node("name", "text_input", prompt="Your name?", variable="name"),
            node("email", "email_input", prompt="Email, {{name}}?", variable="email"),
            node(
                "news",
                "choice",
                prompt="Newsletter?",
                variable="news",
                options=[{"id": "yes", "label": "Yes please", "value": "y"}, {"id": "no", "label": "No", "value": "n"}],
            ),
            node("glad", "message", text="Glad to hear it."),
            node("bye", "message", text="Bye {{name}}, we'll write to {{email}}."),
            node("end", "end"),
        ],
        "edges": [
            edge("start", "hello"),
            edge("hello", "name"),
            edge("name", "email"),
            edge("email", "news"),
            edge("news", "glad", "yes"),
            edge("news", "bye", "default"),
            edge("glad", "bye"),
            edge("bye", "end"),
        ],
        "variables": [{"name": n, "default": None} for n in ("name", "email", "news")],
    }


def loop_graph(filler: int) -> dict:
    """ask -> check -> (x == "never": `filler` messages -> end) else -> echo -> jump to ask.

    Every turn takes the short way round; the long branch only makes the flow big (used to
    show that a reply's cost does not depend on the flow's size)."""
    nodes = [
        node("start", "start"),
        node("ask", "text_input", prompt="Say something", variable="x"),
        node(
            "check",
            "condition",
            branches=[{"id": "long", "rules": [{"variable": "x", "operator": "equals", "value": "never"}]}],
        ),
        node("echo", "message", text="You said {{x}}"),
        node("back", "jump", target="ask"),
    ]
    edges = [edge("start", "ask"), edge("ask", "check"), edge("check", "echo", "else"), edge("echo", "back")]
    previous, handle = "check", "long"
    for i in range(filler):
        nodes.append(node(f"f{i}", "message", text=f"filler {i}"))
        edges.append(edge(previous, f"f{i}", handle))
        previous, handle = f"f{i}", "next"
    nodes.append(node("end", "end"))
    edges.append(edge(previous, "end", handle))
    return {"nodes": nodes, "edges": edges, "variables": [{"name": "x", "default": None}]}


def linked_flows_bot(owner, main_graph=None):
    """A published bot whose main flow (start -> link -> bye "Thanks, {{email}}" -> end) runs a
    second flow, "Ask email" (start -> email input), through a flow_link; `sub_flow` is that flow.
    `main_graph(sub_flow_id)` gives another main flow (its flow_link names that id)."""
    from components.graph import GraphDraft, graph_save
    from components.services import chatbot_publish, flow_create

    bot = ChatbotFactory(owner=owner)
    sub = flow_create(
        bot,
        name="Ask email",
        graph=GraphDraft(
            nodes=[node("start", "start"), node("mail", "email_input", prompt="Email?", variable="email")],
            edges=[edge("start", "mail")],
            variables=[{"name": "email", "default": None}],
        ),
    )
    main = main_graph(sub.pk) if main_graph else None
    graph_save(
        bot.main_flow,
        GraphDraft(**main)
        if main
        else GraphDraft(
            nodes=[
                node("start", "start"),
                node("link", "flow_link", flow=sub.pk),
                node("bye", "message", text="Thanks, {{email}}"),
                node("end", "end"),
            ],
            edges=[edge("start", "link"), edge("link", "bye"), edge("bye", "end")],
            variables=[{"name": "email", "default": None}],
        ),
    )
    chatbot_publish(bot, user=owner)
    bot.sub_flow = sub
    return bot
