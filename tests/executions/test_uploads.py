from io import StringIO
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from executions.models import ChatSession, ChatUpload
from tests.factories import edge, file_upload_graph, node, published_bot

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


# --- Bounds: one pending upload per input, a total per session, files deleted with their rows ----


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "chat-uploads"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def two_files_bot(user):
    graph = {
        "nodes": [
            node("start", "start"),
            node("cv", "file_upload", prompt="CV?", variable="cv", max_size_mb=1),
            node("photo", "file_upload", prompt="Photo?", variable="photo", max_size_mb=1),
            node("end", "end"),
        ],
        "edges": [edge("start", "cv"), edge("cv", "photo"), edge("photo", "end")],
        "variables": [{"name": "cv"}, {"name": "photo"}],
    }
    return published_bot(owner=user, graph=graph)


def test_a_new_upload_replaces_the_one_pending_for_the_same_input(
    api_client, upload_bot, settings, django_capture_on_commit_callbacks
):
    session_id = _start(api_client, upload_bot)["session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        tokens = [_upload(api_client, session_id, f"cv{n}.pdf", b"%PDF" + b"x" * 100_000) for n in range(20)]
    assert {response.status_code for response in tokens} == {201}
    (record,) = ChatUpload.objects.all()
    assert record.token == tokens[-1].json()["upload_id"]
    assert stored_files(settings) == [Path(settings.MEDIA_ROOT) / record.file.name]
    reply = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": tokens[0].json()["upload_id"]}, format="json"
    ).json()
    assert reply["input"]["node_id"] == "cv"  # a replaced upload is gone: not a file any more
    done = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": record.token}, format="json"
    ).json()
    assert done["status"] == "completed"


def test_an_answered_upload_stays_when_the_next_input_gets_its_own(
    api_client, two_files_bot, settings, django_capture_on_commit_callbacks
):
    session_id = _start(api_client, two_files_bot)["session_id"]
    with django_capture_on_commit_callbacks(execute=True):
        cv = _upload(api_client, session_id, "cv.pdf", b"cv").json()["upload_id"]
        api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": cv}, format="json")
        assert _upload(api_client, session_id, "me.png", b"png").status_code == 201
    assert sorted(ChatUpload.objects.values_list("node_id", flat=True)) == ["cv", "photo"]
    assert len(stored_files(settings)) == 2


def test_a_session_holds_at_most_its_total_of_files(api_client, two_files_bot, settings):
    settings.CHAT_UPLOAD_SESSION_MAX_MB = 1
    session_id = _start(api_client, two_files_bot)["session_id"]
    first = _upload(api_client, session_id, "cv.pdf", b"x" * 600_000)
    assert first.status_code == 201
    # Replacing the pending file does not count the replaced one.
    again = _upload(api_client, session_id, "cv2.pdf", b"x" * 600_000)
    assert again.status_code == 201
    api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": again.json()["upload_id"]})
    refused = _upload(api_client, session_id, "photo.png", b"x" * 600_000)
    assert refused.status_code == 400
    assert "at most 1 MB in all" in str(refused.json())
    assert ChatUpload.objects.count() == 1
    assert _upload(api_client, session_id, "small.png", b"x" * 400_000).status_code == 201


def test_deleting_the_bot_deletes_its_upload_files(
    auth_client, api_client, upload_bot, settings, django_capture_on_commit_callbacks
):
    session_id = _start(api_client, upload_bot)["session_id"]
    _upload(api_client, session_id, "cv.pdf", b"%PDF")
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/chatbots/{upload_bot.pk}/").status_code == 204
    assert ChatUpload.objects.count() == 0
    assert stored_files(settings) == []


def test_cleanup_sessions_deletes_the_files_of_deleted_sessions(
    api_client, upload_bot, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    session_id = _start(api_client, upload_bot)["session_id"]
    _upload(api_client, session_id, "cv.pdf", b"%PDF")
    ChatSession.objects.update(status="completed", started_at=timezone.now() - timedelta(days=100))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cleanup_sessions", "--older-than-days", "90", stdout=StringIO())
    assert ChatSession.objects.count() == 0
    assert stored_files(settings) == []


def test_cleanup_uploads_removes_orphaned_files_past_the_grace_period(api_client, upload_bot, settings):
    import os
    import time

    from django.core.management import call_command

    session_id = _start(api_client, upload_bot)["session_id"]
    _upload(api_client, session_id, "cv.pdf", b"%PDF")
    kept = stored_files(settings)
    root = Path(settings.MEDIA_ROOT) / "chat-uploads"
    old_orphan = root / "gone-session" / "token-a"
    young_orphan = root / str(session_id) / "token-b"
    for path in (old_orphan, young_orphan):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left behind")
    two_hours_ago = time.time() - 7200
    os.utime(old_orphan, (two_hours_ago, two_hours_ago))
    os.utime(kept[0], (two_hours_ago, two_hours_ago))

    dry = StringIO()
    call_command("cleanup_uploads", "--dry-run", stdout=dry)
    assert "Would delete 1 orphaned files" in dry.getvalue()
    assert old_orphan.exists()

    out = StringIO()
    call_command("cleanup_uploads", stdout=out)
    assert "Deleted 1 orphaned files" in out.getvalue()
    assert not old_orphan.parent.exists()  # its emptied folder too
    assert young_orphan.exists() and kept[0].exists()
    call_command("cleanup_uploads", "--grace-minutes", "0", stdout=StringIO())
    assert not young_orphan.exists() and kept[0].exists()


def test_a_download_whose_file_is_gone_is_404(auth_client, api_client, upload_bot):
    session_id = _start(api_client, upload_bot)["session_id"]
    _upload(api_client, session_id, "cv.pdf", b"%PDF")
    record = ChatUpload.objects.get()
    record.file.storage.delete(record.file.name)
    assert auth_client.get(f"/api/executions/uploads/{record.pk}/download/").status_code == 404


def test_uploads_and_the_transcript_obey_the_bots_allowed_origins(api_client, user):
    bot = published_bot(owner=user, graph=file_upload_graph(), behavior={"allowed_origins": ["https://shop.example"]})
    session_id = _start(api_client, bot)["session_id"]
    evil = {"HTTP_ORIGIN": "https://evil.example"}
    upload = {"file": SimpleUploadedFile("cv.pdf", b"%PDF")}
    url = f"/api/flows/public/sessions/{session_id}/files/"
    assert api_client.post(url, upload, format="multipart", **evil).status_code == 403
    assert ChatUpload.objects.count() == 0
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/", **evil).status_code == 403
    good = {"HTTP_ORIGIN": "https://shop.example"}
    upload = {"file": SimpleUploadedFile("cv.pdf", b"%PDF")}
    assert api_client.post(url, upload, format="multipart", **good).status_code == 201
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/", **good).status_code == 200
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/").status_code == 200  # not a browser page
