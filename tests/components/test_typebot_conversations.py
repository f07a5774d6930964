"""Imported Typebot bots, published and played through the public chat API: answers, branches,
scores computed by imported Set variable blocks, a Typebot link that comes back."""

import pytest

from executions.models import ChatSession
from tests.components.typebot_files import (
    block,
    buttons,
    comparison,
    condition,
    edge,
    export,
    fixture,
    group,
    set_variable,
    text,
)

pytestmark = pytest.mark.django_db


def import_and_publish(client, document) -> dict:
    response = client.post("/api/chatbots/import/", document, format="json")
    assert response.status_code == 201, response.json()
    bot = response.json()
    published = client.post(f"/api/chatbots/{bot['id']}/publish/", {}, format="json")
    assert published.status_code == 201, published.json()
    return bot


class Chat:
    def __init__(self, client, bot: dict):
        self.client = client
        turn = client.post(f"/api/flows/public/{bot['public_id']}/start/", {}, format="json")
        assert turn.status_code == 201, turn.json()
        self.turn = turn.json()
        self.session_id = self.turn["session_id"]

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("url") for m in self.turn["messages"]]

    def say(self, value) -> "Chat":
        response = self.client.post(
            f"/api/flows/public/sessions/{self.session_id}/reply/", {"value": value}, format="json"
        )
        assert response.status_code == 200, response.json()
        self.turn = response.json()
        return self

    @property
    def variables(self) -> dict:
        return ChatSession.objects.get(pk=self.session_id).variables


def test_the_lead_quiz_scores_a_hot_lead_and_its_typebot_link_comes_back(auth_client, api_client):
    bot = import_and_publish(auth_client, fixture("lead_quiz.json"))
    chat = Chat(api_client, bot)
    assert chat.texts == [
        "Hi! 👋 I'm **Quinn**, and I'll ask you *three* quick questions.\n"
        "Read our [privacy notice](https://example.com/privacy) first."
    ]
    assert chat.turn["input"]["type"] == "text_input"
    assert chat.turn["input"]["options"]["placeholder"] == "Your first name"

    chat.say("Ana")
    assert chat.texts == ["Nice to meet you, Ana! How big is your company?"]
    assert [c["label"] for c in chat.turn["input"]["choices"]] == ["1-10", "11-200", "200+"]

    chat.say("200+")  # no edge of its own: the next block adds 30, then jumps to the budget
    assert chat.texts == ["What is your yearly budget (in €)?"]
    assert chat.turn["input"]["options"]["min"] == 1

    chat.say("25000")  # high budget: +20
    assert chat.texts == ["What would you like to hear about?"]
    assert chat.turn["input"]["options"]["multiple"] is True

    chat.say(["A demo", "Pricing"])
    assert chat.texts == ["Noted: A demo, Pricing."]
    chat.say("not an email")
    assert chat.texts == ["That doesn't look like an email, Ana. Try again?"]
    chat.say("Ana@Example.com")
    assert chat.texts == [
        "🔥 You're a hot lead, Ana! Score: 50.",
        "Our team answers within one business day.",
        "Talk soon!",
    ]
    assert chat.turn["status"] == "completed"
    variables = chat.variables
    assert variables["Lead_Score"] == 50
    assert variables["Interests"] == ["A demo", "Pricing"]
    assert variables["Budget"] == 25000
    assert variables["Source_URL"] == "https://example.com/welcome?ref=Ana"
    assert variables["Email"] == "ana@example.com"


def test_the_lead_quiz_takes_the_cold_branch_for_a_small_company_with_a_small_budget(auth_client, api_client):
    bot = import_and_publish(auth_client, fixture("lead_quiz.json"))
    chat = Chat(api_client, bot)
    chat.say("Bo").say("1-10")
    assert chat.texts == ["What is your yearly budget (in €)?"]
    chat.say(50)  # the second condition has no edge: on to the next block of the group
    assert chat.texts == ["Every great project starts small.", "What would you like to hear about?"]
    chat.say(["Integrations"]).say("bo@example.com")
    assert chat.texts == [
        "Thanks Bo, we'll keep in touch. Score: 5.",
        "Our team answers within one business day.",
        "Bye!",
    ]
    assert chat.turn["status"] == "completed"
    assert chat.variables["Lead_Score"] == 5


def test_a_mid_size_company_goes_through_its_group_and_a_middling_budget_through_else(auth_client, api_client):
    bot = import_and_publish(auth_client, fixture("lead_quiz.json"))
    chat = Chat(api_client, bot).say("Cy").say("11-200")
    assert chat.texts == ["A great size.", "What is your yearly budget (in €)?"]
    chat.say("5000")  # neither condition holds: the block's own edge
    assert chat.texts == ["What would you like to hear about?"]
    chat.say("pricing").say("cy@example.com")
    assert chat.texts[0] == "Thanks Cy, we'll keep in touch. Score: 15."


def quiz_with_scores() -> dict:
    """Three questions; every answer adds points through Set variable blocks; the verdict
    branches on the total (AND/OR conditions)."""
    question = "Q{n}: {q}"
    groups = [
        group(
            "g1",
            "Intro",
            text("intro", "Quiz time!"),
            set_variable("zero", "v-score", "0"),
            set_variable("answers", "v-log", kind="Empty"),
        )
    ]
    edges = []
    for n, (q, right) in enumerate([("2 + 2?", "4"), ("Capital of France?", "Paris"), ("Blue + yellow?", "Green")], 1):
        intro = groups[0]["blocks"]
        intro.append(text(f"q{n}", question.format(n=n, q=q)))
        intro.append(buttons(f"b{n}", f"v-a{n}", (f"right{n}", right, f"e-right{n}"), (f"wrong{n}", "No idea")))
        intro.append(set_variable(f"log{n}", "v-log", kind="Append value(s)", item=f"{{{{Answer {n}}}}}"))
        groups.append(group(f"g-right{n}", f"Right {n}", set_variable(f"add{n}", "v-score", "{{Total Score}} + 10")))
        groups[-1]["blocks"][-1]["outgoingEdgeId"] = f"e-back{n}"
        edges += [edge(f"e-right{n}", f"g-right{n}", source=f"b{n}", item=f"right{n}")]
        edges += [edge(f"e-back{n}", "g1", f"log{n}", source=f"add{n}")]  # back into the group, mid-way
    groups[0]["blocks"].append(
        condition(
            "verdict",
            ("perfect", [comparison("v-score", "Equal to", "30")], "AND", "e-perfect"),
            ("fair", [comparison("v-score", "Greater than", "0"), comparison("v-a1", "Equal to", "4")], "OR", "e-fair"),
            edge="e-zero",
        )
    )
    groups += [
        group("g-perfect", "Perfect", text("perfect-text", "Perfect score: {{Total Score}}/30! Answers: {{Answers}}")),
        group("g-fair", "Fair", text("fair-text", "You scored {{Total Score}}/30.")),
        group("g-zero", "Zero", text("zero-text", "Zero. Better luck next time.")),
    ]
    edges += [
        edge("e-perfect", "g-perfect", source="verdict", item="perfect"),
        edge("e-fair", "g-fair", source="verdict", item="fair"),
        edge("e-zero", "g-zero", source="verdict"),
    ]
    variables = [("v-score", "Total Score"), ("v-log", "Answers")] + [(f"v-a{n}", f"Answer {n}") for n in (1, 2, 3)]
    return export(*groups, variables=tuple(variables), edges=tuple(edges))


@pytest.mark.parametrize(
    ("answers", "verdict", "score"),
    [
        (["4", "Paris", "Green"], "Perfect score: 30/30! Answers: 4, Paris, Green", 30),
        (["No idea", "Paris", "No idea"], "You scored 10/30.", 10),
        # `0` is a literal: stored as the text "0", which every later sum reads as a number.
        (["No idea", "No idea", "No idea"], "Zero. Better luck next time.", "0"),
    ],
)
def test_set_variable_blocks_compute_the_score_the_conditions_branch_on(
    auth_client, api_client, answers, verdict, score
):
    bot = import_and_publish(auth_client, quiz_with_scores())
    chat = Chat(api_client, bot)
    assert chat.texts == ["Quiz time!", "Q1: 2 + 2?"]
    for answer in answers:
        chat.say(answer)
    assert chat.texts[-1] == verdict
    assert chat.turn["status"] == "completed"
    assert chat.variables["Total_Score"] == score


def test_buttons_built_from_a_list_variable_offer_its_items(auth_client, api_client):
    document = export(
        group(
            "g1",
            "Pick",
            set_variable("sizes", "v-sizes", kind="Append value(s)", item="Small"),
            set_variable("sizes2", "v-sizes", kind="Append value(s)", item="Large"),
            buttons("pick", "v-pick", ("static", "Unused"), dynamicVariableId="v-sizes"),
            text("echo", "You chose {{Pick}}."),
        ),
        variables=(("v-sizes", "Sizes"), ("v-pick", "Pick")),
    )
    chat = Chat(api_client, import_and_publish(auth_client, document))
    assert [c["label"] for c in chat.turn["input"]["choices"]] == ["Small", "Large"]
    assert chat.say("large").texts == ["You chose Large."]


def test_a_webhook_fills_variables_from_the_response_and_goes_on_either_way(
    auth_client, api_client, httpserver, settings, dns, network, outbound_settings
):
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}"]
    httpserver.expect_request("/orders/A-17", query_string="verbose=1", headers={"X-Api-Key": "k"}).respond_with_json(
        {"order": {"status": "shipped", "items": [{"name": "Lamp"}, {"name": "Desk"}]}}
    )
    request = {
        "method": "GET",
        "url": f"http://127.0.0.1:{httpserver.port}/orders/{{{{Order id}}}}",
        "headers": [{"id": "h1", "key": "X-Api-Key", "value": "k"}],
        "queryParams": [{"id": "q1", "key": "verbose", "value": "1"}],
    }
    mapping = [
        {"id": "m1", "variableId": "v-status", "bodyPath": "data.order.status"},
        {"id": "m2", "variableId": "v-first", "bodyPath": "data.order.items[0].name"},
        {"id": "m3", "variableId": "v-code", "bodyPath": "statusCode"},
    ]
    document = export(
        group(
            "g1",
            "Order",
            block("ask", "text input", options={"variableId": "v-order"}),
            block("call", "Webhook", edge="e-done", options={"webhook": request, "responseVariableMapping": mapping}),
        ),
        group(
            "g2", "Status", text("status", "Order {{Order id}} is {{Status}} ({{HTTP code}}), first item {{First}}.")
        ),
        variables=(("v-order", "Order id"), ("v-status", "Status"), ("v-first", "First"), ("v-code", "HTTP code")),
        edges=(edge("e-done", "g2", source="call"),),
    )
    bot = import_and_publish(auth_client, document)
    assert Chat(api_client, bot).say("A-17").texts == ["Order A-17 is shipped (200), first item Lamp."]
    # A failing call goes the same way (Typebot has no failure branch).
    httpserver.expect_request("/orders/B-2").respond_with_data("no such order", status=404)
    assert Chat(api_client, bot).say("B-2").texts == ["Order B-2 is  (404), first item ."]
