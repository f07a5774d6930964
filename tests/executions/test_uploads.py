from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from executions.models import ChatSession, ChatUpload
from tests.factories import edge, node, published_bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload_bot(user):
    graph = {
        "nodes": [
            node("start", "start"),
            node("cv", "file_upload", prompt="Your CV?", variable="cv", allowed_types=[".pdf"], max_size_mb=1),
            node("thanks", "message", text="Got {{cv}}"),
            node("end", "end"),
        ],
        "edges": [edge("start", "cv"), edge("cv", "thanks"), edge("thanks", "end")],
        "variables": [{"name": "cv"}],
    }
    return published_bot(owner=user, graph=graph)


def _start(client, bot):
    return client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()


def _upload(client, session_id, name, content):
    return client.post(
        f"/api/flows/public/sessions/{session_id}/files/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_upload_then_reply_with_its_id(api_client, auth_client, upload_bot):
    turn = _start(api_client, upload_bot)
    assert turn["input"]["type"] == "file_upload"
    assert turn["input"]["options"]["allowed_types"] == [".pdf"]
    uploaded = _upload(api_client, turn["session_id"], "../../etc/My CV.pdf", b"%PDF-1.4 hello")
    assert uploaded.status_code == 201, uploaded.json()
    body = uploaded.json()
    assert body["name"] == "My CV.pdf"
    assert body["content_type"] == "application/pdf"
    reply = api_client.post(
        f"/api/flows/public/sessions/{turn['session_id']}/reply/", {"value": body["upload_id"]}, format="json"
    ).json()
    assert reply["status"] == "completed"
    stored = ChatSession.objects.get().variables["cv"]
    assert stored["name"] == "My CV.pdf" and stored["size"] == 14
    record = ChatUpload.objects.get()
    download = auth_client.get(stored["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 hello"
    assert api_client.get(stored["url"]).status_code == 401
    assert "etc" not in record.file.name


def test_wrong_type_is_a_retry_and_oversize_is_400(api_client, upload_bot):
    turn = _start(api_client, upload_bot)
    session_id = turn["session_id"]
    image = _upload(api_client, session_id, "photo.png", b"\x89PNG")
    assert image.status_code == 201
    retry = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": image.json()["upload_id"]}, format="json"
    ).json()
    assert retry["status"] == "active"
    assert retry["input"]["node_id"] == "cv"
    too_big = _upload(api_client, session_id, "big.pdf", b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 400
    unknown_token = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": "made-up"}, format="json"
    ).json()
    assert unknown_token["input"]["node_id"] == "cv"
    assert ChatSession.objects.get().variables["cv"] is None


def test_upload_refused_when_no_file_is_expected(api_client, user):
    bot = published_bot(owner=user)
    session_id = _start(api_client, bot)["session_id"]
    assert _upload(api_client, session_id, "a.pdf", b"x").status_code == 409
    assert _upload(api_client, "not-a-session", "a.pdf", b"x").status_code == 404
    assert api_client.post(f"/api/flows/public/sessions/{session_id}/files/", {}, format="multipart").status_code == 400


def test_other_users_cannot_download(other_client, api_client, upload_bot):
    session_id = _start(api_client, upload_bot)["session_id"]
    _upload(api_client, session_id, "cv.pdf", b"%PDF")
    record = ChatUpload.objects.get()
    assert other_client.get(f"/api/executions/uploads/{record.pk}/download/").status_code == 404
