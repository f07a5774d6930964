"""Our own file format: GET /api/chatbots/{id}/export/, importing it back (round trip), and the
export_chatbot / import_chatbot commands."""

import io
import json

from django.core.management import CommandError, call_command

import pytest

from chatbots.models import Chatbot
from components.graph import GraphDraft, graph_load, graph_save
from components.services import flow_create
from flows.models import Flow
from tests.components.typebot_files import FIXTURES
from tests.factories import ChatbotFactory, edge, node

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(user):
    """Two flows: the main one calls the second through a flow_link; labels, positions,
    defaults and settings everywhere."""
    chatbot = ChatbotFactory(
        owner=user,
        name="Support",
        description="Answers questions",
        appearance={"title": "Help", "primary_color": "#ff0000"},
        behavior={"typing_delay_ms": 0},
    )
    helper = flow_create(chatbot, name="Helper", description="Asks for an email", settings={"color": "blue"})
    graph_save(
        helper,
        GraphDraft(
            nodes=[node("start", "start"), node("mail", "email_input", 100, 50, prompt="Email?", variable="email")],
            edges=[edge("start", "mail")],
            variables=[{"name": "email", "default": None}],
        ),
    )
    main = [
        node("start", "start"),
        {**node("hi", "message", 250, 0, text="Hi {{name}}"), "label": "Welcome"},
        node("link", "flow_link", 500, 0, flow=helper.pk),
        node("calc", "set_variable", 750, 0, variable="score", operation="expression", value="{{score}} + 1"),
        node("bye", "end", 1000, 0),
    ]
    graph_save(
        chatbot.main_flow,
        GraphDraft(
            nodes=main,
            edges=[edge("start", "hi"), edge("hi", "link"), edge("link", "calc"), edge("calc", "bye")],
            variables=[{"name": "name", "default": "friend"}, {"name": "score", "default": 0}],
        ),
    )
    return chatbot


def export_of(client, chatbot) -> dict:
    response = client.get(f"/api/chatbots/{chatbot.pk}/export/")
    assert response.status_code == 200, response.json()
    assert response["Content-Disposition"] == f'attachment; filename="chatbot-{chatbot.pk}.json"'
    return response.json()


def test_the_export_is_one_versioned_document_with_every_flow_and_its_graph(auth_client, bot):
    document = export_of(auth_client, bot)
    assert document.pop("exported_at").endswith("Z")
    helper = Flow.objects.get(name="Helper")
    assert document == {
        "format": "chatbot-builder",
        "format_version": 1,
        "chatbot": {
            "name": "Support",
            "description": "Answers questions",
            "appearance": bot.appearance,
            "behavior": bot.behavior,
        },
        "flows": [
            {
                "id": "f1",
                "name": "Main flow",
                "description": "",
                "is_main": True,
                "settings": {},
                "graph": {
                    **graph_load(bot.main_flow).as_dict(),
                    "nodes": [
                        {**n, "data": {**n["data"], "flow": "f2"}} if n["id"] == "link" else n
                        for n in graph_load(bot.main_flow).nodes
                    ],
                },
            },
            {
                "id": "f2",
                "name": "Helper",
                "description": "Asks for an email",
                "is_main": False,
                "settings": {"color": "blue"},
                "graph": graph_load(helper).as_dict(),
            },
        ],
    }


def test_an_export_imports_back_into_an_equal_bot(auth_client, bot, api_client):
    first = export_of(auth_client, bot)
    response = auth_client.post("/api/chatbots/import/", first, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["import_report"] == {
        "source": "chatbot-builder",
        "source_version": "1",
        "warnings": [],
        "renamed_variables": {},
        "left_out": [],
    }
    copy = Chatbot.objects.get(pk=body["id"])
    assert (copy.status, copy.public_id != bot.public_id) == ("draft", True)
    second = export_of(auth_client, copy)
    first.pop("exported_at")
    second.pop("exported_at")
    assert second == first
    link = next(n for n in graph_load(copy.main_flow).nodes if n["id"] == "link")
    assert link["data"]["flow"] == Flow.objects.get(chatbot=copy, name="Helper").pk
    # And it runs: published, the link calls the helper flow and comes back.
    assert auth_client.post(f"/api/chatbots/{copy.pk}/publish/", {}, format="json").status_code == 201
    turn = api_client.post(f"/api/flows/public/{copy.public_id}/start/", {}, format="json").json()
    assert [m["text"] for m in turn["messages"]] == ["Hi friend", "Email?"]
    turn = api_client.post(
        f"/api/flows/public/sessions/{turn['session_id']}/reply/", {"value": "a@example.com"}, format="json"
    ).json()
    assert turn["status"] == "completed"


def test_our_format_imports_from_a_multipart_file_too(auth_client, bot):
    upload = io.BytesIO(json.dumps(export_of(auth_client, bot)).encode())
    upload.name = "support.json"
    response = auth_client.post("/api/chatbots/import/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["flow_count"] == 2


def test_a_flow_link_to_a_flow_since_deleted_is_kept_as_it_was(auth_client, bot):
    main = graph_load(bot.main_flow)
    next(n for n in main.nodes if n["id"] == "link")["data"]["flow"] = 999_999
    graph_save(bot.main_flow, main)
    document = export_of(auth_client, bot)
    assert next(n for n in document["flows"][0]["graph"]["nodes"] if n["id"] == "link")["data"]["flow"] == 999_999
    response = auth_client.post("/api/chatbots/import/", document, format="json")
    assert response.status_code == 201, response.json()


def _refused(client, document) -> dict:
    before = Chatbot.objects.count()
    response = client.post("/api/chatbots/import/", document, format="json")
    assert response.status_code == 400, response.json()
    assert Chatbot.objects.count() == before
    return response.json()


def test_a_broken_document_of_ours_is_400_naming_what_is_wrong_and_creates_nothing(auth_client, bot):
    good = export_of(auth_client, bot)
    assert "newer than this server reads" in _refused(auth_client, {**good, "format_version": 2})["format_version"][0]
    assert (
        "Exactly one flow"
        in _refused(auth_client, {**good, "flows": [{**flow, "is_main": False} for flow in good["flows"]]})["flows"][0]
    )
    unknown = json.loads(json.dumps(good))
    unknown["flows"][0]["graph"]["nodes"][1]["type"] = "teleport"
    assert _refused(auth_client, unknown)["flows[0].graph"] == {
        "nodes": {"hi": {"type": ["Unknown component type 'teleport'."]}}
    }
    shapeless = json.loads(json.dumps(good))
    shapeless["flows"][1]["graph"]["edges"] = [{"id": "e1"}]
    assert "source" in _refused(auth_client, shapeless)["flows[1].graph"]["edges"]["0"]
    dangling = json.loads(json.dumps(good))
    dangling["flows"][0]["graph"]["nodes"][2]["data"]["flow"] = "f9"
    assert "which the file does not hold" in _refused(auth_client, dangling)["flows[0].graph.nodes"][0]
    bad_settings = {**good, "chatbot": {**good["chatbot"], "appearance": {"position": "middle"}}}
    assert "appearance.position" in _refused(auth_client, bad_settings)


def test_exporting_another_users_chatbot_is_404(other_client, bot):
    assert other_client.get(f"/api/chatbots/{bot.pk}/export/").status_code == 404


def test_the_api_schema_documents_import_and_export(auth_client):
    schema = auth_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/chatbots/import/"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "400", "401", "413"} <= set(operation["responses"])
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "import_report" in schema["components"]["schemas"][created]["properties"]
    exported = schema["paths"]["/api/chatbots/{id}/export/"]["get"]["responses"]["200"]
    ref = exported["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"format", "format_version", "chatbot", "flows"} <= set(schema["components"]["schemas"][ref]["properties"])


# --- The commands -------------------------------------------------------------------------------


def test_export_chatbot_writes_one_file_per_bot_with_a_progress_bar(bot, user, tmp_path):
    other = ChatbotFactory(owner=user, name="Second")
    out, err = io.StringIO(), io.StringIO()
    call_command("export_chatbot", "--owner", user.username, "--output", str(tmp_path), stdout=out, stderr=err)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"chatbot-{bot.pk}.json", f"chatbot-{other.pk}.json"])
    assert json.loads((tmp_path / f"chatbot-{bot.pk}.json").read_text())["chatbot"]["name"] == "Support"
    assert "Exported 2 chatbot(s)" in out.getvalue()
    assert "2/2" in err.getvalue()
    with pytest.raises(CommandError, match="one of them"):
        call_command("export_chatbot", str(bot.pk), "--all", stdout=out, stderr=err)
    with pytest.raises(CommandError, match="No chatbot with id 999"):
        call_command("export_chatbot", "999", stdout=out, stderr=err)


def test_import_chatbot_imports_every_file_and_reports_the_refused_ones(bot, user, tmp_path):
    call_command("export_chatbot", str(bot.pk), "--output", str(tmp_path), "--no-progress", stdout=io.StringIO())
    (tmp_path / "quiz.json").write_text((FIXTURES / "lead_quiz.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"version": "6", "groups": 3}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a bot", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_chatbot", str(tmp_path), "--owner", user.username, "-v", "2", stdout=out, stderr=err)
    assert sorted(Chatbot.objects.filter(owner=user).values_list("name", flat=True)) == [
        "Lead qualification quiz",
        "Support",
        "Support",
    ]
    output = out.getvalue()
    assert "Imported 2 of 3 file(s)." in output
    assert "quiz.json: chatbot" in output
    assert "[Pixel b-pixel] Typebot's 'Pixel' block cannot run here" in output
    assert "broken.json: refused: groups: " in err.getvalue()
    assert "3/3" in err.getvalue()


def test_import_chatbot_needs_an_existing_owner_and_existing_paths(user, tmp_path):
    with pytest.raises(CommandError, match="No user"):
        call_command("import_chatbot", str(tmp_path), "--owner", "nobody")
    with pytest.raises(CommandError, match="No file or directory"):
        call_command("import_chatbot", str(tmp_path / "missing.json"), "--owner", user.username)
