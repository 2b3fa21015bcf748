"""Celery workers: ``celery -A celery_app worker -n worker1@%h`` finds the app in ``celery_app.celery``.

Nothing is built on import: service_1 imports what the publisher shares with the workers
(``celery_app.shared``, ``celery_app.messages``, ``celery_app.config``) without making a worker app.
"""
