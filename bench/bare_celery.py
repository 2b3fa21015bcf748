"""The bare Celery app of bench/drain.py: one counting task, the worker settings of the project's app.

``celery -A bench.bare_celery worker …`` (the same command line as the project's workers, only ``-A``
differs). The settings that decide how a worker consumes — pool, concurrency, prefetch, late acks, the
broker transport options, the queue — come from ``BENCH_CELERY_CONF`` (JSON), which bench/drain.py reads
from the project's own app (``celery -A celery_app``), so the two differ only in what a task does.
The task adds one to ``bench:count`` in the broker's Redis: the count proves every task ran.
"""

from __future__ import annotations

import json
import os

import redis
from celery import Celery

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
COUNT_KEY = "bench:count"
TASK = "bench.count"

app = Celery("bench-bare", broker=REDIS_URL)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
    worker_send_task_events=False,
    broker_connection_retry_on_startup=True,
    **json.loads(os.environ.get("BENCH_CELERY_CONF") or "{}"),
)

_client = redis.Redis.from_url(REDIS_URL)


@app.task(name=TASK)
def count() -> None:
    _client.incr(COUNT_KEY)
