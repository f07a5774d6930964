"""POST /api/chatbots/import/ with Typebot exports: the block mapping, the structure of groups
and edges, variables, and files the import refuses (nothing is created then)."""

import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from chatbots.models import Chatbot
from components.importers.typebot_blocks import BLOCK_TYPES, FORGED_BLOCK_TYPES, date_format
from flows.models import Flow
from tests.components.typebot_files import (
    block,
    buttons,
    comparison,
    condition,
    edge,
    export,
    fixture,
    group,
    paragraph,
    set_variable,
    text,
    variable,
)

pytestmark = pytest.mark.django_db

URL = "/api/chatbots/import/"


def imported(client, document) -> tuple[dict, dict[str, dict]]:
    """The import's 201 body and every flow's graph by flow name."""
    response = client.post(URL, document, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    flows = client.get(f"/api/chatbots/{body['id']}/flows/").json()["results"]
    graphs = {f["name"]: client.get(f"/api/chatbots/{body['id']}/flows/{f['id']}/graph/").json() for f in flows}
    return body, graphs


def wiring(graph: dict) -> set[tuple[str, str, str]]:
    return {(e["source"], e["source_handle"], e["target"]) for e in graph["edges"]}


def nodes(graph: dict) -> dict[str, dict]:
    return {n["id"]: n for n in graph["nodes"]}


def one(client, the_block: dict, *more: dict, variables=(), **kwargs) -> tuple[dict, dict]:
    """Import a bot whose only group holds `the_block` (then `more`); its node and the report."""
    body, graphs = imported(client, export(group("g1", "Only", the_block, *more), variables=variables, **kwargs))
    return nodes(graphs["Main flow"]).get(the_block["id"]), body["import_report"]


def messages(report: dict) -> str:
    return " | ".join(w["message"] for w in report["warnings"])


# --- The whole import ---------------------------------------------------------------------------


def test_an_import_creates_a_draft_and_answers_with_it_and_its_report(auth_client, user):
    response = auth_client.post(URL, fixture("lead_quiz.json"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    chatbot = Chatbot.objects.get(pk=body["id"])
    assert chatbot.owner == user
    assert body["status"] == "draft" == chatbot.status
    assert body["name"] == "Lead qualification quiz"
    assert body["flow_count"] == 2
    assert body["import_report"] == {
        "source": "typebot",
        "source_version": "6.1",
        "warnings": [
            {
                "block_id": "b-pixel",
                "type": "Pixel",
                "message": "Typebot's 'Pixel' block cannot run here (no counterpart here); the block was left out "
                "and the chat goes on past it.",
            }
        ],
        "renamed_variables": {
            "First name": "First_name",
            "Lead Score": "Lead_Score",
            "Company size": "Company_size",
            "Budget (€)": "Budget",
            "Source URL": "Source_URL",
        },
        "left_out": [{"block_id": "b-pixel", "type": "Pixel"}],
    }
    assert chatbot.appearance["font_family"] == "Open Sans"
    assert chatbot.appearance["primary_color"] == "#0042DA"
    assert chatbot.appearance["bot_bubble_color"] == "#F7F8FF"
    assert chatbot.appearance["avatar_url"] == "https://example.com/quinn.png"
    assert chatbot.appearance["title"] == "Lead quiz"


def test_a_multipart_file_imports_like_a_json_body(auth_client):
    upload = io.BytesIO(json.dumps(fixture("lead_quiz.json")).encode())
    upload.name = "lead-quiz.json"
    response = auth_client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Lead qualification quiz"


def test_an_imported_bot_keeps_its_unreachable_groups_and_still_publishes(auth_client):
    body, graphs = imported(auth_client, fixture("lead_quiz.json"))
    main = graphs["Main flow"]
    assert nodes(main)["b-draft"]["label"] == "Unused draft"
    flow_id = Flow.objects.get(chatbot_id=body["id"], is_main=True).pk
    report = auth_client.get(f"/api/chatbots/{body['id']}/flows/{flow_id}/validate/").json()
    assert report["errors"] == []
    assert ("unreachable_node", "b-draft") in {(w["code"], w["node_id"]) for w in report["warnings"]}
    assert auth_client.post(f"/api/chatbots/{body['id']}/publish/", {}, format="json").status_code == 201


def test_group_titles_become_the_labels_of_their_first_nodes_and_positions_follow_the_canvas(auth_client):
    _, graphs = imported(auth_client, fixture("lead_quiz.json"))
    main = nodes(graphs["Main flow"])
    assert main["b-hello"]["label"] == "Welcome"
    assert "label" not in main["b-name"]
    assert main["b-budget-q"]["position"] == {"x": 1100, "y": 0}
    assert main["b-budget"]["position"] == {"x": 1100, "y": 110}


# --- Groups are implicit chains -----------------------------------------------------------------


def test_a_groups_blocks_run_in_order_and_the_last_one_ends_the_chat(auth_client):
    _, graphs = imported(auth_client, export(group("g1", "G", text("a", "A"), text("b", "B"), text("c", "C"))))
    assert wiring(graphs["Main flow"]) == {("start", "next", "a"), ("a", "next", "b"), ("b", "next", "c")}


def test_an_edge_may_enter_a_group_mid_way_and_a_blocks_own_edge_leaves_early(auth_client):
    document = export(
        group("g1", "First", text("a", "A"), text("b", "B", edge="e-out"), text("c", "never after b")),
        group("g2", "Second", text("d", "D"), text("e", "E")),
        edges=(edge("e-out", "g2", "e", source="b"),),
    )
    _, graphs = imported(auth_client, document)
    assert wiring(graphs["Main flow"]) == {
        ("start", "next", "a"),
        ("a", "next", "b"),
        ("b", "next", "e"),
        ("d", "next", "e"),
    }
    assert "c" in nodes(graphs["Main flow"])  # after b's own edge nothing leads to it


def test_a_button_without_edge_follows_the_blocks_edge_or_else_the_next_block(auth_client):
    document = export(
        group(
            "g1",
            "Ask",
            buttons("q", "v", ("yes", "Yes", "e-yes"), ("no", "No")),
            text("after", "Next block"),
            buttons("q2", "v", ("x", "X"), ("y", "Y", "e-yes"), edge="e-own"),
            text("unused", "skipped by q2's own edge"),
        ),
        group("g2", "Yes", text("yes-text", "Yes!")),
        group("g3", "Own", text("own-text", "Own edge")),
        variables=(("v", "Answer"),),
        edges=(edge("e-yes", "g2", source="q", item="yes"), edge("e-own", "g3", source="q2")),
    )
    _, graphs = imported(auth_client, document)
    assert {
        ("q", "yes", "yes-text"),
        ("q", "default", "after"),
        ("q2", "y", "yes-text"),
        ("q2", "default", "own-text"),
    } <= (wiring(graphs["Main flow"]))


def test_a_condition_item_without_edge_goes_on_with_the_next_block_and_its_own_edge_is_else(auth_client):
    document = export(
        group(
            "g1",
            "Check",
            condition(
                "c",
                ("big", [comparison("v", "Greater than", "10")], "AND", "e-big"),
                ("small", [comparison("v", "Less than", "3")], "AND", None),
                edge="e-else",
            ),
            text("next", "small goes on here"),
        ),
        group("g2", "Big", text("big-text", "big")),
        group("g3", "Else", text("else-text", "else")),
        variables=(("v", "n"),),
        edges=(edge("e-big", "g2", source="c", item="big"), edge("e-else", "g3", source="c")),
    )
    _, graphs = imported(auth_client, document)
    assert wiring(graphs["Main flow"]) >= {("c", "big", "big-text"), ("c", "small", "next"), ("c", "else", "else-text")}


def test_a_condition_without_an_edge_of_its_own_falls_through_to_the_next_block_as_else(auth_client):
    document = export(
        group("g1", "G", condition("c", ("i", [comparison("v", "Is set")], "AND", None)), text("m", "M")),
        variables=(("v", "n"),),
    )
    _, graphs = imported(auth_client, document)
    assert {("c", "i", "m"), ("c", "else", "m")} <= wiring(graphs["Main flow"])


# --- Variables ----------------------------------------------------------------------------------


def test_invalid_variable_names_are_renamed_deterministically_and_every_reference_rewritten(auth_client):
    names = ["Lead Score", "Lead_Score", "e-mail", "1st answer", "Prénom", "len", "if", "Name", "😀"]
    variables = tuple((f"v{i}", name) for i, name in enumerate(names))
    document = export(
        group(
            "g1",
            "G",
            text("t", "{{Lead Score}} {{Lead_Score}} {{e-mail}} {{1st answer}} {{Prénom}} {{len}} {{if}} {{😀}}"),
            set_variable("s", "v0", "{{Lead Score}} + {{len}}"),
            condition("c", ("i", [comparison("v2", "Contains", "@{{Name}}")], "AND", None)),
            block("q", "text input", options={"variableId": "v4"}),
        ),
        variables=variables,
    )
    body, graphs = imported(auth_client, document)
    renamed = {
        "Lead Score": "Lead_Score_2",
        "e-mail": "e_mail",
        "1st answer": "v_1st_answer",
        "Prénom": "Prenom",
        "len": "len_",
        "if": "if_",
        "😀": "variable",
    }
    assert body["import_report"]["renamed_variables"] == renamed
    main = nodes(graphs["Main flow"])
    assert main["t"]["data"]["text"] == (
        "{{Lead_Score_2}} {{Lead_Score}} {{e_mail}} {{v_1st_answer}} {{Prenom}} {{len_}} {{if_}} {{variable}}"
    )
    assert main["s"]["data"] == {"variable": "Lead_Score_2", "operation": "expression", "value": "Lead_Score_2 + len_"}
    assert main["c"]["data"]["branches"][0]["rules"] == [
        {"variable": "e_mail", "operator": "contains", "value": "@{{Name}}"}
    ]
    assert main["q"]["data"]["variable"] == "Prenom"
    assert [v["name"] for v in graphs["Main flow"]["variables"]] == [renamed.get(n, n) for n in names]


def test_a_text_naming_no_variable_gets_one_declared_and_an_unknown_variable_id_is_not_saved(auth_client):
    node, report = one(
        auth_client,
        text("t", "Hi {{Nick name}}"),
        block("q", "text input", options={"variableId": "v-gone"}),
    )
    assert node["data"]["text"] == "Hi {{Nick_name}}"
    assert "{{Nick name}} names no variable of the file; 'Nick_name' was declared for it (empty)." in messages(report)
    assert "does not declare ('v-gone')" in messages(report)


def test_variables_keep_their_initial_values(auth_client):
    _, graphs = imported(
        auth_client, export(group("g1", "G", text("t", "{{Plan}}")), variables=(variable("v", "Plan", "pro"),))
    )
    assert graphs["Main flow"]["variables"] == [{"name": "Plan", "default": "pro"}]


def test_an_initial_value_larger_than_the_graph_api_takes_is_dropped(auth_client):
    huge = ["x" * 5000, "y" * 5000, "z"]
    _, graphs = imported(
        auth_client, export(group("g1", "G", text("t", "{{Big}}")), variables=(variable("v", "Big", huge),))
    )
    assert graphs["Main flow"]["variables"] == [{"name": "Big", "default": None}]


def test_two_variables_of_one_name_stay_apart(auth_client):
    _, report = one(
        auth_client,
        block("q", "text input", options={"variableId": "v2"}),
        variables=(("v1", "Name"), ("v2", "Name")),
    )
    assert "Two variables are named 'Name'; the second is 'Name_2' here" in messages(report)


# --- Bubbles ------------------------------------------------------------------------------------


def test_rich_text_is_flattened_to_markdown(auth_client):
    rich = [
        paragraph("Plain, ", {"text": "bold", "bold": True}, ", ", {"text": "italic", "italic": True}, "."),
        paragraph({"text": "both ", "bold": True, "italic": True}, {"text": "struck", "strikethrough": True}),
        paragraph({"text": "under", "underline": True}, " and ", {"text": "x = 1", "code": True}),
        {"type": "p", "children": [{"text": ""}]},
        paragraph("See ", {"type": "a", "url": "https://example.com", "children": [{"text": "the site"}]}),
        {
            "type": "ul",
            "children": [
                {"type": "li", "children": [{"type": "lic", "children": [{"text": "one"}]}]},
                {
                    "type": "li",
                    "children": [
                        {"type": "lic", "children": [{"text": "two"}]},
                        {
                            "type": "ol",
                            "children": [{"type": "li", "children": [{"type": "lic", "children": [{"text": "a"}]}]}],
                        },
                    ],
                },
            ],
        },
    ]
    node, _ = one(auth_client, block("t", "text", content={"richText": rich}))
    assert node["type"] == "message"
    assert node["data"]["text"] == (
        "Plain, **bold**, *italic*.\n***both*** ~~struck~~\nunder and `x = 1`\n\nSee [the site](https://example.com)\n"
        "- one\n- two\n  1. a"
    )


def test_plain_and_html_texts_of_old_exports_are_read_and_empty_bubbles_skipped(auth_client):
    document = export(
        group(
            "g1",
            "G",
            block("plain", "text", content={"plainText": "Just text"}),
            block("html", "text", content={"html": "<p>Line <b>one</b></p><p>Line &amp; two</p>"}),
            block("empty", "text", content={"richText": [{"type": "p", "children": [{"text": "  "}]}]}),
            text("last", "Last"),
        )
    )
    _, graphs = imported(auth_client, document)
    main = nodes(graphs["Main flow"])
    assert main["plain"]["data"]["text"] == "Just text"
    assert main["html"]["data"]["text"] == "Line one\nLine & two"
    assert "empty" not in main
    assert ("html", "next", "last") in wiring(graphs["Main flow"])


def test_media_bubbles_map_to_media_nodes(auth_client):
    document = export(
        group(
            "g1",
            "G",
            block(
                "img",
                "image",
                content={
                    "url": "https://img.example/{{Pic}}.png",
                    "clickLink": {"url": "https://x.example", "alt": "X"},
                },
            ),
            block(
                "vid", "video", content={"url": "https://v.example/a.mp4", "height": 300, "isAutoplayEnabled": False}
            ),
            block("yt", "video", content={"type": "youtube", "id": "abc123", "aspectRatio": "9/16"}),
            block("aud", "audio", content={"url": "https://a.example/a.mp3"}),
            block(
                "emb",
                "embed",
                content={"url": "https://cal.example", "height": 9000, "waitForEvent": {"isEnabled": True}},
            ),
        ),
        variables=(("v", "Pic"),),
    )
    body, graphs = imported(auth_client, document)
    main = nodes(graphs["Main flow"])
    assert main["img"]["data"] == {"url": "https://img.example/{{Pic}}.png", "link": "https://x.example", "alt": "X"}
    assert main["vid"]["data"] == {"url": "https://v.example/a.mp4", "height": 300, "autoplay": False}
    assert main["yt"]["data"] == {"url": "https://www.youtube.com/watch?v=abc123", "height": 400, "autoplay": True}
    assert main["aud"]["data"] == {"url": "https://a.example/a.mp3", "autoplay": True}
    assert main["emb"]["data"] == {"url": "https://cal.example", "height": 2000}
    report = messages(body["import_report"])
    assert "The video's aspectRatio cannot be kept here." in report
    assert "The embed waited for an event from the page" in report


# --- Inputs -------------------------------------------------------------------------------------

INPUT_CASES = {
    "text": (
        block("q", "text input", options={"variableId": "v", "isLong": True, "labels": {"placeholder": "Tell us"}}),
        "text_input",
        {"variable": "Answer", "multiline": True, "placeholder": "Tell us"},
    ),
    "number": (
        block("q", "number input", options={"variableId": "v", "min": 0, "max": "10", "step": 0.5}),
        "number_input",
        {"variable": "Answer", "min": None, "max": 10, "step": 0.5},
    ),
    "email": (
        block("q", "email input", options={"variableId": "v", "retryMessageContent": "Again, {{Answer}}?"}),
        "email_input",
        {"variable": "Answer", "retry_message": "Again, {{Answer}}?"},
    ),
    "url": (block("q", "url input", options={"variableId": "v"}), "url_input", {"variable": "Answer"}),
    "phone": (
        block("q", "phone number input", options={"variableId": "v", "defaultCountryCode": "pt"}),
        "phone_input",
        {"variable": "Answer", "default_country": "PT"},
    ),
    "date": (
        block(
            "q",
            "date input",
            options={"variableId": "v", "hasTime": True, "min": "2026-01-01", "max": "2026-12-31T00:00:00.000Z"},
        ),
        "date_input",
        {"with_time": True, "range": False, "min": "2026-01-01", "max": "2026-12-31", "format": "%d/%m/%Y %H:%M"},
    ),
    "time": (
        block("q", "time input", options={"variableId": "v"}),
        "text_input",
        {"variable": "Answer", "placeholder": "HH:mm", "max_length": 100},
    ),
    "rating numbers": (
        block("q", "rating input", options={"variableId": "v", "buttonType": "Numbers", "startsAt": 1, "length": 5}),
        "rating",
        {"min": 1, "max": 5},
    ),
    "rating icons": (
        block("q", "rating input", options={"variableId": "v", "buttonType": "Icons", "length": 3}),
        "rating",
        {"min": 1, "max": 3},
    ),
    "rating default": (block("q", "rating input", options={"variableId": "v"}), "rating", {"min": 0, "max": 10}),
    "file": (
        block(
            "q",
            "file input",
            options={
                "variableId": "v",
                "isRequired": False,
                "allowedFileTypes": {"isEnabled": True, "types": [".pdf", "image/*", "DOCX", "<script>"]},
            },
        ),
        "file_upload",
        {"variable": "Answer", "required": False, "allowed_types": [".pdf", "image/*", ".docx"]},
    ),
}


@pytest.mark.parametrize("case", INPUT_CASES)
def test_inputs_map_with_their_labels_bounds_and_variables(auth_client, case):
    source, type_name, expected = INPUT_CASES[case]
    node, _ = one(auth_client, source, variables=(("v", "Answer"),))
    assert node["type"] == type_name
    assert expected.items() <= node["data"].items()


def test_what_inputs_cannot_keep_is_reported(auth_client):
    document = export(
        group(
            "g1",
            "G",
            block("t", "text input", options={"attachments": {"isEnabled": True}}),
            block("n", "number input", options={"max": "{{Limit}}"}),
            block("d", "date input", options={"isRange": True, "format": "QQQ yyyy", "min": "{{From}}"}),
            block("r", "rating input", options={"labels": {"left": "Bad", "right": "Good"}}),
            block("f", "file input", options={"isMultipleAllowed": True}),
            block("h", "time input"),
        ),
        variables=(("v1", "Limit"), ("v2", "From")),
    )
    body, graphs = imported(auth_client, document)
    report = messages(body["import_report"])
    for fragment in (
        "attachments cannot be kept here",
        "max ('{{Limit}}') is not a number here",
        "A date range is stored here as {start, end}",
        "The date format 'QQQ yyyy' cannot be reproduced",
        "min ('{{From}}') is not a date",
        "side labels",
        "took several files",
        "no time input here",
    ):
        assert fragment in report
    assert nodes(graphs["Main flow"])["d"]["data"]["format"] == ""


def test_buttons_keep_texts_values_edges_and_the_multiple_flag(auth_client):
    document = export(
        group(
            "g1",
            "G",
            block(
                "q",
                "choice input",
                options={"variableId": "v", "isMultipleChoice": False},
                items=[
                    {"id": "a", "content": "Yes, {{Name}}", "value": "yes", "outgoingEdgeId": "e-a"},
                    {"id": "default", "content": "Default-named"},
                    {"id": "c", "content": ""},
                    {"id": "d", "content": "Hidden", "displayCondition": {"isEnabled": True}},
                ],
            ),
            text("next", "after"),
        ),
        group("g2", "A", text("a-text", "picked a")),
        variables=(("v", "Pick"), ("n", "Name")),
        edges=(edge("e-a", "g2", source="q", item="a"),),
    )
    body, graphs = imported(auth_client, document)
    node = nodes(graphs["Main flow"])["q"]
    assert node["type"] == "choice"
    assert node["data"]["options"] == [
        {"id": "a", "label": "Yes, {{Name}}", "value": "yes"},
        {"id": "item2", "label": "Default-named"},
        {"id": "d", "label": "Hidden"},
    ]
    assert {("q", "a", "a-text"), ("q", "default", "next")} <= wiring(graphs["Main flow"])
    report = messages(body["import_report"])
    assert "Button 3 has no text; it was left out." in report
    assert "Buttons shown only under a condition are always shown here." in report


def test_a_multiple_choice_and_dynamic_buttons(auth_client):
    node, _ = one(
        auth_client,
        buttons("q", "v", ("a", "A", "e-ignored"), ("b", "B"), isMultipleChoice=True, dynamicVariableId="list"),
        variables=(("v", "Picks"), ("list", "Options")),
        edges=(edge("e-ignored", "g1", source="q", item="a"),),
    )
    assert node["data"]["multiple"] is True
    assert node["data"]["dynamic_variable"] == "Options"


def test_picture_choices_keep_titles_and_pictures(auth_client):
    source = block(
        "q",
        "picture choice input",
        options={
            "variableId": "v",
            "dynamicItems": {"isEnabled": True, "titlesVariableId": "t", "pictureSrcsVariableId": "p"},
        },
        items=[
            {"id": "cat", "title": "Cat", "pictureSrc": "https://img.example/cat.png", "description": "Meows"},
            {"id": "dog", "pictureSrc": "https://img.example/dog.png"},
        ],
    )
    node, report = one(auth_client, source, variables=(("v", "Pet"), ("t", "Titles"), ("p", "Pictures")))
    assert node["type"] == "picture_choice"
    assert node["data"]["options"] == [
        {"id": "cat", "label": "Cat", "image_url": "https://img.example/cat.png"},
        {"id": "dog", "label": "Picture 2", "image_url": "https://img.example/dog.png"},
    ]
    assert (node["data"]["dynamic_variable"], node["data"]["dynamic_image_variable"]) == ("Titles", "Pictures")
    assert "Picture descriptions cannot be shown here" in messages(report)


# --- Set variable --------------------------------------------------------------------------------

CUSTOM_VALUES = [
    ("0", "value", "0"),
    ("1.50", "value", "1.5"),
    ("007", "value", "007"),
    ("true", "value", "true"),
    ("'quoted'", "value", "quoted"),
    ("{{Score}} + 5", "expression", "Score + 5"),
    ("{{Score}} * 100 / {{Max Score}}", "expression", "(Score * 100) / Max_Score"),
    ("({{Score}} + {{Bonus}}) % 7", "expression", "(Score + Bonus) - 7 * int((Score + Bonus) / 7)"),
    ("Math.round({{Score}} / 3)", "expression", "floor((Score / 3) + 0.5)"),
    ("{{Name}}.toUpperCase() + ' ' + {{Name}}.length", "expression", "(upper(Name) + ' ') + len(Name)"),
    ("{{Score}} >= 50 ? 'Promoter' : 'Detractor'", "expression", "'Promoter' if (Score >= 50) else 'Detractor'"),
    ("{{Score}}", "value", "{{Score}}"),
    ("Promoter", "value", "Promoter"),
    ("Hello {{Name}}, welcome", "value", "Hello {{Name}}, welcome"),
    ("https://example.com/?id={{Max Score}}", "value", "https://example.com/?id={{Max_Score}}"),
    ("50%", "value", "50%"),
    ("", "empty", ""),
    ("null", "empty", ""),
]


@pytest.mark.parametrize(("code", "operation", "value"), CUSTOM_VALUES)
def test_custom_values_become_expressions_or_values_as_typebot_would_compute_them(auth_client, code, operation, value):
    variables = (("s", "Score"), ("m", "Max Score"), ("b", "Bonus"), ("n", "Name"))
    node, report = one(auth_client, set_variable("x", "s", code), variables=variables)
    assert node["data"] == {"variable": "Score", "operation": operation, "value": value}
    assert report["left_out"] == []


@pytest.mark.parametrize(
    "code",
    ["{{Name}}.split(' ')[0]", "const a = 1;\nreturn a", "Date.now()", "{{Score}} ?? 0", "window.location.href"],
)
def test_javascript_our_evaluator_cannot_run_is_left_out_with_a_warning(auth_client, code):
    node, report = one(auth_client, set_variable("x", "s", code), text("m", "on"), variables=(("s", "Score"),))
    assert node is None
    assert report["left_out"] == [{"block_id": "x", "type": "Set variable"}]
    assert "cannot be computed here" in messages(report)


@pytest.mark.parametrize(
    ("kind", "options", "data"),
    [
        ("Empty", {}, {"operation": "empty", "value": ""}),
        ("Append value(s)", {"item": "{{Name}}!"}, {"operation": "append", "value": "{{Name}}!"}),
        ("Now", {}, {"operation": "now", "value": ""}),
        ("Today", {}, {"operation": "now", "value": ""}),
        ("Random ID", {}, {"operation": "random_id", "value": ""}),
        ("Result ID", {}, {"operation": "session_id", "value": ""}),
        ("User ID", {}, {"operation": "session_id", "value": ""}),
        ("Environment name", {}, {"operation": "value", "value": "web"}),
    ],
)
def test_set_variable_types_map_to_our_operations(auth_client, kind, options, data):
    node, _ = one(auth_client, set_variable("x", "s", kind=kind, **options), variables=(("s", "Score"), ("n", "Name")))
    assert node["data"] == {"variable": "Score", **data}


@pytest.mark.parametrize("kind", ["Yesterday", "Tomorrow", "Transcript", "Moment of the day", "Pop", "Shift"])
def test_set_variable_types_without_counterpart_are_left_out(auth_client, kind):
    node, report = one(auth_client, set_variable("x", "s", kind=kind), variables=(("s", "Score"),))
    assert node is None
    assert report["left_out"] == [{"block_id": "x", "type": "Set variable"}]


def test_a_set_variable_block_without_variable_is_left_out(auth_client):
    node, report = one(auth_client, set_variable("x", "", "1"))
    assert node is None
    assert "sets no variable" in messages(report)


# --- Conditions ---------------------------------------------------------------------------------

OPERATORS = {
    "Equal to": "equals",
    "Not equal": "not_equals",
    "Contains": "contains",
    "Does not contain": "not_contains",
    "Greater than": "greater_than",
    "Greater or equal to": "greater_or_equal",
    "Less than": "less_than",
    "Less or equal to": "less_or_equal",
    "Starts with": "starts_with",
    "Ends with": "ends_with",
    "Matches regex": "matches_regex",
    "Does not match regex": "not_matches_regex",
}


def test_every_comparison_operator_maps_and_and_or_become_all_and_any(auth_client):
    items = [
        (f"i{n}", [comparison("v", operator, "{{Other}}")], "AND" if n % 2 else "OR", None)
        for n, operator in enumerate(OPERATORS)
    ]
    items.append(("set", [comparison("v", "Is set"), comparison("o", "Is empty", "ignored")], "AND", None))
    node, _ = one(auth_client, condition("c", *items), variables=(("v", "Value"), ("o", "Other")))
    branches = node["data"]["branches"]
    for n, operator in enumerate(OPERATORS.values()):
        assert branches[n] == {
            "id": f"i{n}",
            "match": "all" if n % 2 else "any",
            "rules": [{"variable": "Value", "operator": operator, "value": "{{Other}}"}],
        }
    assert branches[-1]["rules"] == [
        {"variable": "Value", "operator": "is_set"},
        {"variable": "Other", "operator": "is_empty"},
    ]


def test_regex_flags_and_incomplete_comparisons(auth_client):
    node, report = one(
        auth_client,
        condition(
            "c",
            ("re", [comparison("v", "Matches regex", "/^ab+c$/i")], "AND", None),
            ("half", [comparison("v", "Equal to", "x"), comparison("", "Equal to", "y")], "AND", None),
            ("or", [comparison("v", "Equal to", "x"), {"id": "z", "variableId": "v"}], "OR", None),
            ("else", [comparison("v", "Is empty")], "AND", None),
        ),
        variables=(("v", "Value"),),
    )
    branches = node["data"]["branches"]
    assert [b["id"] for b in branches] == ["re", "or", "item3"]
    assert branches[0]["rules"][0]["value"] == "(?i)^ab+c$"
    assert branches[1]["rules"] == [{"variable": "Value", "operator": "equals", "value": "x"}]
    assert "Condition 2 compares without a variable or an operator, so it never holds; dropped." in messages(report)


# --- Other logic --------------------------------------------------------------------------------


def test_redirect_wait_and_ab_test(auth_client):
    document = export(
        group(
            "g1",
            "G",
            block("r", "Redirect", options={"url": "https://example.com/?u={{Name}}", "isNewTab": True}),
            block("w", "Wait", options={"secondsToWaitFor": "2.5"}),
            block("w2", "Wait", options={"secondsToWaitFor": "120", "shouldPause": True}),
            block("w3", "Wait", options={"secondsToWaitFor": "{{Name}}"}),
            block(
                "ab",
                "AB test",
                options={"aPercent": 30},
                items=[{"id": "ia", "path": "a", "outgoingEdgeId": "e-a"}, {"id": "ib", "path": "b"}],
            ),
            text("after", "B goes on here"),
        ),
        group("g2", "A", text("a", "A")),
        variables=(("n", "Name"),),
        edges=(edge("e-a", "g2", source="ab", item="ia"),),
    )
    body, graphs = imported(auth_client, document)
    main = nodes(graphs["Main flow"])
    assert main["r"]["data"] == {"url": "https://example.com/?u={{Name}}", "new_tab": True}
    assert main["w"]["data"] == {"seconds": 2.5}
    assert main["w2"]["data"] == {"seconds": 60}
    assert main["w3"]["data"] == {"seconds": 1}
    assert main["ab"]["data"] == {"percent_a": 30}
    assert {("ab", "a", "a"), ("ab", "b", "after")} <= wiring(graphs["Main flow"])
    report = messages(body["import_report"])
    assert "over the 60 s allowed here" in report
    assert "paused the flow" in report
    assert "The wait of '{{Name}}' seconds is not a number here" in report


def test_jumps_go_to_a_group_or_one_of_its_blocks(auth_client):
    document = export(
        group("g1", "G", text("a", "A"), block("j1", "Jump", options={"groupId": "g2"})),
        group(
            "g2",
            "Target",
            text("t1", "first"),
            text("t2", "second"),
            block("j2", "Jump", options={"groupId": "g2", "blockId": "t2"}),
        ),
        group("g3", "Nowhere", block("j3", "Jump", options={"groupId": "g-missing"})),
    )
    body, graphs = imported(auth_client, document)
    main = nodes(graphs["Main flow"])
    assert main["j1"]["data"] == {"target": "t1"}
    assert main["j2"]["data"] == {"target": "t2"}
    assert "j3" not in main
    assert "points at a group that is not in the file ('g-missing')" in messages(body["import_report"])


def test_a_typebot_link_to_a_group_of_the_same_bot_calls_a_flow_of_its_own(auth_client):
    document = export(
        group(
            "g1",
            "Main",
            block("l1", "Typebot link", options={"typebotId": "current", "groupId": "g2"}),
            block("l2", "Typebot link", options={"typebotId": "tb-test", "groupId": "g2"}),
            block("other", "Typebot link", options={"typebotId": "another-bot", "groupId": "x"}),
            text("back", "Back"),
        ),
        group("g2", "Shared", text("s1", "In the shared part"), block("j", "Jump", options={"groupId": "g3"})),
        group("g3", "Tail", text("s2", "Tail of the shared part")),
    )
    body, graphs = imported(auth_client, document)
    assert set(graphs) == {"Main flow", "Linked: Shared"}
    linked = graphs["Linked: Shared"]
    assert set(nodes(linked)) == {"start", "s1", "j", "s2"}
    assert ("start", "next", "s1") in wiring(linked)
    flow_id = Flow.objects.get(chatbot_id=body["id"], name="Linked: Shared").pk
    main = nodes(graphs["Main flow"])
    assert main["l1"]["data"] == {"flow": flow_id, "return_after": True}
    assert main["l2"]["data"] == {"flow": flow_id, "return_after": True}
    assert "other" not in main
    assert ("l2", "next", "back") in wiring(graphs["Main flow"])
    assert not {"s1", "s2"} & set(main)  # only links lead there
    assert body["import_report"]["left_out"] == [{"block_id": "other", "type": "Typebot link"}]
    assert "A Typebot link to another bot cannot be followed" in messages(body["import_report"])


# --- Integrations -------------------------------------------------------------------------------


def test_an_http_request_keeps_method_url_headers_query_body_and_mapping(auth_client):
    options = {
        "webhook": {
            "method": "PUT",
            "url": "https://api.example.com/leads/{{Lead id}}",
            "headers": [{"id": "h", "key": "Authorization", "value": "Bearer {{Token}}"}, {"id": "h2", "key": ""}],
            "queryParams": [{"id": "q", "key": "source", "value": "bot"}],
            "body": '{"name": "{{Lead id}}"}',
        },
        "isCustomBody": True,
        "timeout": 60,
        "responseVariableMapping": [
            {"id": "m1", "variableId": "t", "bodyPath": "data.token.value"},
            {"id": "m2", "variableId": "t", "bodyPath": "data.items[2].name"},
            {"id": "m3", "variableId": "t", "bodyPath": "data"},
            {"id": "m4", "variableId": "t", "bodyPath": "statusCode"},
            {"id": "m5", "variableId": "t", "bodyPath": "data.map(i => i.id)"},
        ],
    }
    document = export(
        group("g1", "G", block("h", "Webhook", options=options, edge="e-next"), text("skipped", "not after h")),
        group("g2", "Next", text("n", "next")),
        variables=(("l", "Lead id"), ("t", "Token")),
        edges=(edge("e-next", "g2", source="h"),),
    )
    body, graphs = imported(auth_client, document)
    node = nodes(graphs["Main flow"])["h"]
    assert node["data"] == {
        "method": "PUT",
        "url": "https://api.example.com/leads/{{Lead_id}}",
        "connection": None,
        "headers": {"Authorization": "Bearer {{Token}}"},
        "query": {"source": "bot"},
        "body": '{"name": "{{Lead_id}}"}',
        "timeout": 30,
        "mapping": [
            {"path": "token.value", "variable": "Token"},
            {"path": "items.2.name", "variable": "Token"},
            {"path": "$", "variable": "Token"},
            {"path": "status", "variable": "Token"},
        ],
    }
    assert {("h", "success", "n"), ("h", "failure", "n")} <= wiring(graphs["Main flow"])
    report = messages(body["import_report"])
    assert "The timeout of 60 s is over the 30 s allowed here" in report
    assert "The response mapping 'data.map(i => i.id)' cannot be kept here" in report


@pytest.mark.parametrize("type_name", ["Zapier", "Make.com", "Pabbly"])
def test_zapier_make_and_pabbly_hooks_are_http_requests_with_every_variable_as_the_body(auth_client, type_name):
    options = {"webhook": {"url": "https://hooks.example.com/abc"}}
    node, report = one(auth_client, block("h", type_name, options=options), variables=(("n", "Name"),))
    assert node["type"] == "http_request"
    assert (node["data"]["method"], node["data"]["url"]) == ("POST", "https://hooks.example.com/abc")
    assert node["data"]["body"] == '{"Name": "{{Name}}"}'
    assert "here the body is every variable" in messages(report)


def test_an_http_method_we_do_not_send_leaves_the_block_out(auth_client):
    node, report = one(
        auth_client, block("h", "Webhook", options={"webhook": {"method": "TRACE", "url": "https://x.example"}})
    )
    assert node is None
    assert report["left_out"] == [{"block_id": "h", "type": "Webhook"}]


def test_an_email_keeps_recipients_subject_body_and_reply_to(auth_client):
    options = {
        "recipients": ["sales@example.com", "{{Email}}"],
        "subject": "New lead: {{Email}}",
        "body": "Lead {{Email}} arrived.",
        "isCustomBody": True,
        "replyTo": "{{Email}}",
        "cc": ["boss@example.com"],
    }
    node, report = one(auth_client, block("m", "Email", options=options), variables=(("e", "Email"),))
    assert node["data"] == {
        "to": "sales@example.com, {{Email}}",
        "subject": "New lead: {{Email}}",
        "body": "Lead {{Email}} arrived.",
        "reply_to": "{{Email}}",
    }
    assert "The email's cc cannot be kept here." in messages(report)
    default, _ = one(
        auth_client, block("m", "Email", options={"recipients": ["a@example.com"]}), variables=(("e", "Email"),)
    )
    assert default["data"]["body"] == "Email: {{Email}}"


# --- Left out, and the chat still runs ----------------------------------------------------------

LEFT_OUT = [
    ("payment input", {"options": {"amount": "10"}}),
    ("cards", {"items": [{"id": "card"}]}),
    ("Code", {"options": {"content": "setVariable('x', 1)", "isExecutedOnClient": True}}),
    ("Google Sheets", {"options": {"action": "Insert a row"}}),
    ("Google Analytics", {"options": {"trackingId": "G-1"}}),
    ("Pixel", {"options": {"pixelId": "1"}}),
    ("Chatwoot", {}),
    ("OpenAI", {"options": {"task": "Create chat completion"}}),
    ("openai", {"options": {"action": "Create chat completion"}}),
    ("anthropic", {}),
    ("Return", {}),
    ("webhook", {}),
    ("something new", {}),
]


@pytest.mark.parametrize(("type_name", "fields"), LEFT_OUT)
def test_blocks_without_counterpart_are_left_out_and_their_in_edge_joins_their_out_edge(auth_client, type_name, fields):
    document = export(
        group("g1", "G", text("before", "Before"), block("x", type_name, **fields), text("after", "After")),
        group("g2", "G2", text("a", "A"), block("y", type_name, edge="e-y", **fields)),
        group("g3", "G3", text("b", "B")),
        edges=(edge("e-y", "g3", source="y"),),
    )
    body, graphs = imported(auth_client, document)
    main = graphs["Main flow"]
    assert {"x", "y"}.isdisjoint(nodes(main))
    assert {("before", "next", "after"), ("a", "next", "b")} <= wiring(main)
    report = body["import_report"]
    assert report["left_out"] == [{"block_id": "x", "type": type_name}, {"block_id": "y", "type": type_name}]
    assert f"Typebot's {type_name!r} block cannot run here" in report["warnings"][0]["message"]


def test_the_mapping_table_covers_every_block_type_once_and_the_readme_shows_it_as_it_is():
    types = [entry.type for entry in BLOCK_TYPES]
    assert len(types) == len(set(types))
    assert not set(types) & set(FORGED_BLOCK_TYPES)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \| (`\w+`|—) \| (full|partly|no) \|", readme, re.MULTILINE)
    word = {"full": "full", "partial": "partly", "none": "no"}
    assert rows == [(b.category, b.type, f"`{b.ours}`" if b.ours else "—", word[b.support]) for b in BLOCK_TYPES]
    counts = Counter(b.support for b in BLOCK_TYPES)
    assert (
        f"Of these {len(BLOCK_TYPES)} block types, {counts['full']} map fully, {counts['partial']} partly "
        f"and {counts['none']} not at all; none of Typebot's {len(FORGED_BLOCK_TYPES)}"
    ) in " ".join(readme.split())


@pytest.mark.parametrize(
    ("pattern", "strftime"),
    [
        ("dd/MM/yyyy", "%d/%m/%Y"),
        ("yyyy-MM-dd HH:mm", "%Y-%m-%d %H:%M"),
        ("EEEE d MMMM 'at' h a", "%A %-d %B at %-I %p"),
    ],
)
def test_typebot_date_formats_translate_to_strftime(pattern, strftime):
    assert date_format(pattern) == strftime


# --- Real files are not always consistent ---------------------------------------------------------


def test_dangling_edges_and_missing_targets_are_tolerated_with_warnings(auth_client):
    document = export(
        group("g1", "G", text("a", "A", edge="e-gone"), text("b", "B")),
        group("g2", "G2", text("c", "C", edge="e-nowhere"), text("d", "D", edge="e-bad-block")),
        group("g3", "G3", text("e", "E")),
        edges=(
            edge("e-nowhere", "g-missing", source="c"),
            edge("e-bad-block", "g3", "b-missing", source="d"),
            edge("e-orphan", "g3", source="zzz"),
        ),
    )
    body, graphs = imported(auth_client, document)
    assert ("d", "next", "e") in wiring(graphs["Main flow"])
    report = messages(body["import_report"])
    assert "Edge 'e-gone' is named but not in the file; the chat ends there." in report
    assert "points at a group that is not in the file ('g-missing')" in report
    assert "points at a block that is not in its group ('b-missing')" in report
    assert "1 edge(s) of the file leave from no block" in report


def test_a_start_event_without_edge_makes_a_bot_that_ends_at_once(auth_client):
    body, graphs = imported(auth_client, export(group("g1", "G", text("a", "A")), start=None))
    assert graphs["Main flow"]["edges"] == []
    assert "The start event leads nowhere" in messages(body["import_report"])


def test_inline_javascript_in_texts_is_removed_with_a_warning(auth_client):
    node, report = one(auth_client, text("t", "Total: {{={{Score}} * 2=}} points"), variables=(("s", "Score"),))
    assert node["data"]["text"] == "Total:  points"
    assert "Inline JavaScript" in messages(report)


# --- Files the import refuses ---------------------------------------------------------------------


def _refused(client, document, status=400) -> dict:
    response = client.post(URL, document, format="json")
    assert response.status_code == status, response.json()
    assert not Chatbot.objects.exists()
    assert not Flow.objects.exists()
    return response.json()


@pytest.mark.parametrize(
    ("document", "field", "fragment"),
    [
        ([1, 2], "non_field_errors", "must hold a JSON object"),
        ({"hello": "world"}, "non_field_errors", "neither a Typebot export"),
        ({**export(), "version": "5"}, "version", "'5' is not supported"),
        ({**export(), "groups": {"a": 1}}, "groups", "Must be a list"),
        (export(group("g1", "G", {"type": "text"})), "groups[0].blocks[0]", "text `id`"),
        (export(group("g1", "G", text("a", "x"), text("a", "y"))), "groups[0].blocks[1].id", "used twice"),
        (export(group("g1", "G"), group("g1", "G")), "groups[1].id", "used twice"),
        ({**export(), "edges": [{"id": "e", "to": "g1"}]}, "edges[0].to", "groupId"),
        ({**export(), "variables": [{"id": "v"}]}, "variables[0].name", "Must be text"),
        (export(group("g1", "G", block("b", "text", content=[1]))), "groups[0].blocks[0].content", "object"),
    ],
)
def test_a_malformed_file_is_400_naming_what_is_wrong_and_creates_nothing(auth_client, document, field, fragment):
    body = _refused(auth_client, document)
    assert fragment in " ".join(body[field]), body


def test_a_file_over_the_limits_is_refused_and_creates_nothing(auth_client, settings):
    too_many = export(*(group(f"g{n}", "G") for n in range(2001)))
    assert "At most 2000 groups" in _refused(auth_client, too_many)["groups"][0]
    settings.CHATBOT_IMPORT_MAX_NODES = 6
    document = export(
        group(
            "g1",
            "G",
            *(block(f"l{n}", "Typebot link", options={"typebotId": "current", "groupId": "g2"}) for n in range(2)),
        ),
        group("g2", "Shared", *(text(f"t{n}", "x") for n in range(4))),
    )
    assert "One import creates at most 6 nodes" in _refused(auth_client, document)["non_field_errors"][0]
    settings.CHATBOT_IMPORT_MAX_BYTES = 1000
    _refused(auth_client, fixture("lead_quiz.json"), status=413)


def test_a_multipart_upload_that_is_not_json_or_has_no_file_is_400(auth_client):
    upload = io.BytesIO(b"{not json")
    upload.name = "bot.json"
    response = auth_client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("JSON parse error")
    response = auth_client.post(URL, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Chatbot.objects.exists()


def test_importing_needs_credentials(api_client):
    assert api_client.post(URL, export(), format="json").status_code == 401


def test_long_runs_of_left_out_blocks_and_loops_of_them_are_followed_without_recursion(auth_client):
    run = [block(f"code{n}", "Code") for n in range(3000)]
    document = export(
        group("g1", "G", text("a", "A"), *run, text("b", "B")),
        group("g2", "Loop", text("c", "C"), block("x", "Code", edge="e-x"), block("y", "Code", edge="e-y")),
        edges=(edge("e-x", "g2", "y", source="x"), edge("e-y", "g2", "x", source="y")),
    )
    body, graphs = imported(auth_client, document)
    assert ("a", "next", "b") in wiring(graphs["Main flow"])
    assert not [e for e in graphs["Main flow"]["edges"] if e["source"] == "c"]  # the loop leads nowhere
    assert len(body["import_report"]["left_out"]) == 3002


def test_hostile_files_are_refused_with_a_400_not_exhausting_the_server(auth_client):
    chain = [group(f"g{n}", "J", block(f"j{n}", "Jump", options={"groupId": f"g{n + 1}"})) for n in range(1500)]
    chain.append(group("g1500", "End", text("end", "end")))
    assert "too deeply" in _refused(auth_client, export(*chain, start="g0"))["groups"][0]
    names = export(group("g1", "G", text("t", " ".join(f"{{{{name {n}!}}}}" for n in range(3000)))))
    assert "more than 500 variables" in _refused(auth_client, names)["variables"][0]
    links = export(
        group(
            "g1",
            "G",
            *(block(f"l{n}", "Typebot link", options={"typebotId": "current", "groupId": f"t{n}"}) for n in range(60)),
        ),
        *(group(f"t{n}", "T", text(f"x{n}", "x")) for n in range(60)),
    )
    assert "at most 50" in _refused(auth_client, links)["groups"][0]
