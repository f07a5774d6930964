"""Celery app: used when CELERY_BROKER_URL is set (Redis). Workers deliver webhooks; beat
schedules the periodic delivery run (config/settings.py CELERY_BEAT_SCHEDULE).

    celery -A config worker -l info
    celery -A config beat -l info
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chatbots")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
