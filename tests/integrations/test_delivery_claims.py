"""Delivery workers claim due rows under row locks that skip what another worker holds: two
workers never wait on each other nor take the same row (PostgreSQL; SQLite serialises writers)."""

import threading
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

import pytest

from integrations import delivery as webhooks
from integrations.models import OutgoingEmail, Webhook, WebhookEvent
from tests.factories import ChatbotFactory, published_bot

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20  # a blocked claim gives up after this and fails the test


def _held_while(rows, claim):
    """Run `claim()` while another connection holds row locks on `rows` (a queryset)."""
    locked, release, errors = threading.Event(), threading.Event(), []

    def other_worker():
        try:
            with transaction.atomic():
                list(rows.select_for_update())
                locked.set()
                release.wait(WAIT_SECONDS)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(WAIT_SECONDS)
        return claim()
    finally:
        release.set()
        thread.join(WAIT_SECONDS)
        assert errors == []


def test_a_worker_skips_the_deliveries_another_worker_holds_and_takes_the_rest(user):
    bot = ChatbotFactory(owner=user)
    webhook = Webhook.objects.create(owner=user, url="https://hooks.example.com/x", events=["session.started"])
    now = timezone.now()
    deliveries = [
        WebhookEvent.objects.create(
            chatbot=bot,
            webhook=webhook,
            event_type="session.started",
            payload={"n": n},
            next_attempt_at=now - timedelta(seconds=10 - n),
        )
        for n in range(4)
    ]
    held = WebhookEvent.objects.filter(pk__in=[deliveries[0].pk, deliveries[1].pk])
    claimed = _held_while(held, lambda: webhooks.deliveries_claim(limit=10))
    assert sorted(str(pk) for pk, _ in claimed) == sorted(str(d.pk) for d in deliveries[2:])


def test_a_worker_skips_the_emails_another_worker_holds_and_takes_the_rest(user):
    bot = published_bot(owner=user)
    client_session = bot.sessions.create(version=bot.live_version, version_uid=bot.live_version.uid)
    now = timezone.now()
    emails = [
        OutgoingEmail.objects.create(session=client_session, to=["a@example.com"], subject=f"{n}", next_attempt_at=now)
        for n in range(3)
    ]
    held = OutgoingEmail.objects.filter(pk=emails[0].pk)
    claimed = _held_while(held, lambda: webhooks.emails_claim(limit=10))
    assert sorted(str(pk) for pk, _ in claimed) == sorted(str(e.pk) for e in emails[1:])
