"""The account through the profile endpoint: PUT as PATCH, names, and deleting it all."""

from pathlib import Path

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_delete

import pytest
from rest_framework.test import APIClient

from chatbots.models import Chatbot
from executions.models import ChatMessage, ChatSession, ChatUpload
from flows.models import FlowTemplate
from integrations.models import Webhook
from tests.factories import DEFAULT_PASSWORD, file_upload_graph, linear_graph, published_bot
from tests.images import picture_bytes, upload

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/profile/"


def test_put_updates_the_profile_as_patch_does(auth_client):
    response = auth_client.put(PROFILE, {"bio": "Hi.", "settings": {"theme": "dark"}}, format="json")
    assert response.status_code == 200
    again = auth_client.put(PROFILE, {"timezone": "Europe/Lisbon"}, format="json").json()
    assert (again["bio"], again["settings"], again["timezone"]) == ("Hi.", {"theme": "dark"}, "Europe/Lisbon")
    assert auth_client.put(PROFILE, {"timezone": "Nowhere/Else"}, format="json").status_code == 400


def test_first_and_last_name_are_editable(auth_client, user):
    response = auth_client.patch(PROFILE, {"first_name": " Ana ", "last_name": "Silva"}, format="json")
    assert response.status_code == 200
    assert (response.json()["user"]["first_name"], response.json()["user"]["last_name"]) == ("Ana", "Silva")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ana", "Silva")
    assert auth_client.put(PROFILE, {"last_name": ""}, format="json").json()["user"]["last_name"] == ""
    too_long = auth_client.patch(PROFILE, {"first_name": "x" * 151}, format="json")
    assert too_long.status_code == 400 and "first_name" in too_long.json()
    user.refresh_from_db()
    assert user.first_name == "Ana"


def _media_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_deleting_the_account_needs_the_password_and_removes_everything_it_owns(
    auth_client, api_client, user, other_user, django_capture_on_commit_callbacks
):
    token = api_client.post(
        "/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    auth_client.patch(PROFILE, {"avatar": upload(picture_bytes())}, format="multipart")
    bot = published_bot(owner=user, graph=file_upload_graph())
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    uploaded = api_client.post(
        f"/api/flows/public/sessions/{session_id}/files/",
        {"file": SimpleUploadedFile("cv.pdf", b"%PDF-1.4")},
        format="multipart",
    )
    assert uploaded.status_code == 201
    auth_client.post("/api/flows/templates/", {"name": "Mine", "graph": linear_graph(3)}, format="json")
    Webhook.objects.create(owner=user, url="https://example.com/h", events=["session.started"], secret_encrypted="x")
    theirs = published_bot(owner=other_user)
    files = _media_files()
    assert any(name.startswith("avatars/") for name in files)
    assert any(name.startswith("chat-uploads/") for name in files)

    assert auth_client.delete(PROFILE, {}, format="json").status_code == 400
    wrong = auth_client.delete(PROFILE, {"password": "not it"}, format="json")
    assert wrong.status_code == 400 and "password" in wrong.json()
    assert get_user_model().objects.filter(pk=user.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(PROFILE, {"password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 204
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not Chatbot.objects.filter(owner_id=user.pk).exists()
    assert not ChatSession.objects.filter(pk=session_id).exists()
    assert not ChatMessage.objects.filter(session_id=session_id).exists()
    assert not ChatUpload.objects.exists()
    assert not FlowTemplate.objects.filter(name="Mine").exists()
    assert not Webhook.objects.exists()
    assert _media_files() == set()
    assert Chatbot.objects.filter(pk=theirs.pk).exists()  # nobody else's things
    # Its tokens are dead.
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access']}")
    assert fresh.get(PROFILE).status_code == 401
    assert api_client.post("/api/auth/token/refresh/", {"refresh": token["refresh"]}, format="json").status_code == 401
    assert (
        api_client.post(
            "/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
        ).status_code
        == 401
    )


def test_a_deletion_that_fails_midway_keeps_the_account_and_its_files(
    auth_client, user, django_capture_on_commit_callbacks
):
    auth_client.patch(PROFILE, {"avatar": upload(picture_bytes())}, format="multipart")
    before = _media_files()

    def fail(sender, **kwargs):
        raise RuntimeError("the database went away")

    # The profile (and its avatar's post_delete) goes before the user row, which then fails.
    post_delete.connect(fail, sender=get_user_model(), dispatch_uid="test_fail_user_delete")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = auth_client.delete(PROFILE, {"password": DEFAULT_PASSWORD}, format="json")
    finally:
        post_delete.disconnect(sender=get_user_model(), dispatch_uid="test_fail_user_delete")
    assert response.status_code == 500  # the injected failure
    assert callbacks == []
    assert _media_files() == before
    assert get_user_model().objects.filter(pk=user.pk).exists()
