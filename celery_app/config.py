"""The Celery application's configuration, from settings, nothing accepted may be lost.

``acks_late`` + prefetch 1: a message is acknowledged only after its task ran, and a worker holds at most
one unstarted message per thread, so a killed worker loses nothing — Redis hands the unacked message to
another worker after the visibility timeout (RabbitMQ at once, when the channel closes).
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from celery_app import redisconf, sentinel_transport
from celery_app.settings import WorkerSettings


def create_celery(settings: WorkerSettings | None = None, include: Sequence[str] = ()) -> Celery:
    """A configured app; the worker's (``celery_app.celery``) includes the task modules, a publisher's does
    not need them."""
    settings = settings or WorkerSettings.from_env()
    conf = settings.redis
    # With Sentinel both are kombu's sentinel:// lists (+ master_name below); rediss:// gets its TLS checks.
    broker = redisconf.celery_url(settings.broker_url, conf)
    backend = redisconf.celery_url(settings.result_backend, conf)
    if broker.startswith("sentinel://"):
        # kombu's sentinel transport, with the fix that keeps a worker alive through a failover.
        sentinel_transport.install()
    app = Celery("ingest", broker=broker, backend=backend, include=list(include))
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # The status store keeps results for GET /messages/{id}; Celery's copy would be a second one.
        task_ignore_result=True,
        task_default_queue=settings.queue,
        # One process per worker with threads: the analysis is light, the simulated cost is a wait, and
        # one process keeps one log pipeline per worker (a fork would lose the logging thread).
        worker_pool="threads",
        worker_concurrency=settings.concurrency,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2.0,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": settings.restore_interval,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2.0,
            "socket_timeout": 5.0,
            "max_retries": 1,
            **redisconf.celery_transport_options(settings.broker_url, conf),
        },
        result_backend_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            **redisconf.celery_transport_options(settings.result_backend, conf),
        },
        task_publish_retry=False,
        worker_send_task_events=False,
    )
    return app
