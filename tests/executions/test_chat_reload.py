from datetime import timedelta

from django.utils import timezone

import pytest

from executions.models import ChatSession
from tests.factories import published_bot

pytestmark = pytest.mark.django_db


def test_a_reload_after_the_timeout_learns_the_session_expired(api_client):
    bot = published_bot(behavior={"session_timeout_minutes": 5})
    session_id = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    url = f"/api/flows/public/sessions/{session_id}/"
    assert api_client.get(url).json()["status"] == "active"

    ChatSession.objects.filter(pk=session_id).update(last_activity_at=timezone.now() - timedelta(minutes=6))
    body = api_client.get(url).json()
    assert body["status"] == "expired"
    assert body["input"] is None
    assert len(body["transcript"]) == 2  # the conversation so far is still readable
    # What a reply would have said too.
    reply = api_client.post(f"{url}reply/", {"value": "Ana"}, format="json")
    assert reply.status_code == 410
