import csv
import io
from datetime import timedelta

from django.utils import timezone

import pytest

from executions.models import ChatSession
from tests.factories import published_bot

pytestmark = pytest.mark.django_db


def play(client, bot, answers):
    """Start a session and give `answers` in order; returns the session id."""
    session_id = client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json").json()["session_id"]
    for value in answers:
        assert (
            client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": value}, format="json").status_code
            == 200
        )
    return session_id


@pytest.fixture
def bot(user):
    return published_bot(owner=user)


@pytest.fixture
def played(api_client, auth_client, bot):
    """A known set of sessions on the form (name -> email -> news choice):
    3 complete, 2 stop after the name, 1 gives an invalid email then stops, 1 starts only,
    and 1 preview session that must be left out."""
    sessions = {
        "complete": [play(api_client, bot, ["Ana", "ana@example.com", "yes"]) for _ in range(2)]
        + [play(api_client, bot, ["=cmd|' /C calc'!A0", "bo@example.com", "no"])],
        "after_name": [play(api_client, bot, ["Cy"]) for _ in range(2)],
        "bad_email": [play(api_client, bot, ["Di", "not-an-email"])],
        "started": [play(api_client, bot, [])],
    }
    preview = auth_client.post(f"/api/chatbots/{bot.pk}/preview/", {}, format="json")
    assert preview.status_code == 201
    return sessions


def test_analytics_counts_every_number_exactly(auth_client, bot, played):
    body = auth_client.get(f"/api/chatbots/{bot.pk}/analytics/").json()
    assert body == {
        "starts": 7,
        "completions": 3,
        "completion_rate": round(3 / 7, 4),
        "inputs": [
            {"node_id": "name", "reached": 7, "answered": 6, "dropped": 1},
            {"node_id": "email", "reached": 6, "answered": 3, "dropped": 3},
            {"node_id": "news", "reached": 3, "answered": 3, "dropped": 0},
        ],
    }


def test_analytics_of_a_bot_without_sessions_is_zero(auth_client, bot):
    body = auth_client.get(f"/api/chatbots/{bot.pk}/analytics/").json()
    assert body["starts"] == 0 and body["completion_rate"] == 0.0
    assert [i["reached"] for i in body["inputs"]] == [0, 0, 0]


def test_results_rows_leave_previews_out(auth_client, bot, played):
    body = auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"page_size": 100}).json()
    assert body["count"] == 7
    rows = {row["session_id"]: row for row in body["results"]}
    first = rows[played["complete"][0]]
    assert first["status"] == "completed"
    assert first["answers"] == {"name": "Ana", "email": "ana@example.com", "news": "y"}
    assert set(first) == {"session_id", "status", "started_at", "completed_at", "answers"}
    assert rows[played["started"][0]]["completed_at"] is None


def test_results_filter_by_status_and_dates(auth_client, bot, played):
    completed = auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"status": "completed"}).json()
    assert completed["count"] == 3
    old = played["after_name"][0]
    ChatSession.objects.filter(pk=old).update(started_at=timezone.now() - timedelta(days=10))
    recent = auth_client.get(
        f"/api/chatbots/{bot.pk}/results/", {"started_after": (timezone.now() - timedelta(days=1)).isoformat()}
    ).json()
    assert recent["count"] == 6
    older = auth_client.get(
        f"/api/chatbots/{bot.pk}/results/", {"started_before": (timezone.now() - timedelta(days=1)).isoformat()}
    ).json()
    assert [r["session_id"] for r in older["results"]] == [old]
    assert auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"started_after": "yesterday"}).status_code == 400
    assert auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"status": "bogus"}).status_code == 400
    inverted = {"started_after": timezone.now().isoformat(), "started_before": "2020-01-01T00:00:00Z"}
    assert auth_client.get(f"/api/chatbots/{bot.pk}/results/", inverted).status_code == 400


def test_results_csv_is_streamed_and_formula_safe(auth_client, bot, played):
    response = auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["session_id", "status", "started_at", "completed_at", "name", "email", "news"]
    assert len(rows) == 8
    names = {row[4] for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_results_csv_honours_filters(auth_client, bot, played):
    response = auth_client.get(f"/api/chatbots/{bot.pk}/results/", {"format": "csv", "status": "completed"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 4


def test_results_and_analytics_are_owner_only(other_client, bot):
    for path in ("results", "analytics"):
        assert other_client.get(f"/api/chatbots/{bot.pk}/{path}/").status_code == 404
    assert other_client.get(f"/api/chatbots/{bot.pk}/results/", {"format": "csv"}).status_code == 404
