"""Celery entry points (only with CELERY_BROKER_URL). Tasks take ids and call services."""

from celery import shared_task

from integrations.delivery import deliver_due


@shared_task(name="integrations.tasks.deliver_due_webhooks", ignore_result=True)
def deliver_due_webhooks() -> int:
    """Dispatch new events and attempt every due delivery (beat runs this every few seconds)."""
    made = 0
    while True:
        batch = deliver_due()
        made += batch
        if not batch:
            return made
