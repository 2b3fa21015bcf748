"""Celery workers: ``celery -A celery_app worker -n worker1@%h``."""

from celery_app import signals, tasks
from celery_app.instance import app

__all__ = ["app", "signals", "tasks"]
