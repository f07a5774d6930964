# The Celery app is loaded with Django so that tasks queued from web processes use its
# broker settings (it stays idle unless CELERY_BROKER_URL is set).
from config.celery import app as celery_app

__all__ = ["celery_app"]
