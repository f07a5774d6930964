"""Every response carries X-Request-ID (the load balancer's when sane), every log record the
same id, and each chat request logs one structured line: JSON in production."""

import copy
import io
import json
import logging
import logging.config
import subprocess
import sys
import uuid

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from tests.factories import published_bot

pytestmark = pytest.mark.django_db


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def test_every_response_carries_a_new_request_id(api_client):
    first = api_client.get("/api/")
    second = api_client.get("/api/nowhere/")  # errors too
    assert _is_uuid(first["X-Request-ID"])
    assert _is_uuid(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("given", [str(uuid.uuid4()), "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "lb-7.node_3-abc", "x" * 64])
def test_a_sane_request_id_from_the_load_balancer_is_kept(api_client, given):
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["x" * 65, "has spaces", 'quote"d', "semi;colon", "ünïcode", ""])
def test_any_other_request_id_is_replaced_by_a_new_one(api_client, given):
    returned = api_client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert _is_uuid(returned)


def test_a_page_on_another_origin_may_read_the_request_id(api_client):
    bot = published_bot()
    response = api_client.get(f"/api/flows/public/{bot.public_id}/", HTTP_ORIGIN="https://site.example")
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


@pytest.fixture
def json_log() -> io.StringIO:
    """The project's production logging (LOG_FORMAT=json) into a buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    logging.getLogger().handlers[0].setStream(stream)
    yield stream
    logging.config.dictConfig(settings.LOGGING)


def _turn_lines(stream: io.StringIO) -> list[dict]:
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [r for r in records if r.get("event") == "chat.turn"]


def test_a_chat_turn_logs_one_json_line_with_the_request_id_of_its_response(api_client, json_log):
    bot = published_bot()
    started = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    session_id = started.json()["session_id"]
    replied = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/",
        {"value": "Ana Secret-Name"},
        format="json",
        HTTP_X_REQUEST_ID="lb-request-42",
    )
    assert replied.status_code == 200
    assert replied["X-Request-ID"] == "lb-request-42"

    start_line, reply_line = _turn_lines(json_log)
    assert start_line["request_id"] == started["X-Request-ID"]
    assert start_line["kind"] == "start"
    assert start_line["status"] == 201
    assert reply_line == {
        **reply_line,
        "level": "INFO",
        "logger": "executions.turns",
        "request_id": "lb-request-42",
        "kind": "reply",
        "status": 200,
        "outcome": "ok",
        "chatbot_id": bot.pk,
        "session_id": session_id,
        "session_status": "active",
    }
    assert isinstance(reply_line["duration_ms"], float)
    assert "Secret-Name" not in json_log.getvalue()  # what the visitor typed is never logged


def test_a_refused_chat_request_is_logged_with_its_status_and_error(api_client, json_log):
    bot = published_bot()
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    refused = api_client.post(
        f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Ana", "node_id": "hello"}, format="json"
    )
    assert refused.status_code == 400
    line = _turn_lines(json_log)[-1]
    assert line["status"] == 400
    assert line["outcome"] == "error"
    assert line["error"] == "NotAnInput"
    assert line["session_id"] == session_id
    assert line["request_id"] == refused["X-Request-ID"]


def test_preview_read_and_upload_are_logged_too(api_client, auth_client, user, json_log):
    bot = published_bot(owner=user)
    preview = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json")
    assert preview.status_code == 201
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/").status_code == 200
    file = SimpleUploadedFile("cv.txt", b"hello", content_type="text/plain")
    upload = api_client.post(f"/api/flows/public/sessions/{session_id}/files/", {"file": file}, format="multipart")
    assert upload.status_code == 409  # the session waits for a name, not a file
    lines = _turn_lines(json_log)
    assert [(line["kind"], line["status"]) for line in lines] == [
        ("preview", 201),
        ("start", 201),
        ("read", 200),
        ("upload", 409),
    ]
    assert lines[0]["chatbot_id"] == bot.pk
    assert lines[0]["preview"] is True
    assert lines[3]["session_id"] == session_id


def test_log_format_defaults_to_json_in_production_and_plain_in_development():
    base = {"SECRET_KEY": "k" * 60, "FIELD_ENCRYPTION_KEYS": "Jf2l6xVfXg0FQyQO3m0n2w1bQbq9cE8bZx0bq2mYk2Q="}
    for debug, expected in (("False", "json"), ("True", "plain")):
        env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": debug, **base}
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected
