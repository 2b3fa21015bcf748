"""The worker's Celery app (Celery's own layout: ``-A celery_app`` looks here), with its tasks included.

Only the worker imports this module; it builds the app once, from the environment.
"""

from __future__ import annotations

from celery_app import signals  # noqa: F401  connects the worker's logging and request-id handlers
from celery_app.config import create_celery
from celery_app.settings import WorkerSettings

settings = WorkerSettings.from_env()
app = create_celery(settings, include=["celery_app.tasks"])
