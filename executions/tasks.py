"""Celery entry points (only with CELERY_BROKER_URL). Tasks take ids and call services."""

from celery import shared_task

from executions import webhooks


@shared_task(name="executions.tasks.deliver_due_webhooks", ignore_result=True)
def deliver_due_webhooks() -> int:
    """Dispatch new events and attempt every due delivery (beat runs this every few seconds)."""
    made = 0
    while True:
        batch = webhooks.deliver_due()
        made += batch
        if not batch:
            return made
