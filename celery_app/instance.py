"""The process's Celery app and settings, built once."""

from __future__ import annotations

from celery_app.app import create_celery
from celery_app.settings import WorkerSettings

settings = WorkerSettings.from_env()
app = create_celery(settings)
