"""The analysis task. Idempotent by message id: a redelivered message whose result is stored is not redone."""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

import redis
from celery import Task

from celery_app import status
from celery_app.analysis import analyze_text
from celery_app.app import TASK_ANALYZE
from celery_app.instance import app, settings
from logpipe import get_logger, log_event

log = get_logger("celery_app.tasks")


@cache
def store() -> redis.Redis:
    # One client (and connection pool) per process, shared by the pool's threads.
    return redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)


def save(message_id: str, state: status.Status, result: dict[str, Any] | None = None) -> None:
    store().set(status.key(message_id), status.encode(state, result), ex=settings.result_ttl_seconds)


# A store outage must not cost the job: with acks_late a failed task is acknowledged and gone, so a
# Redis error retries it (with backoff) instead of failing it.
@app.task(
    name=TASK_ANALYZE, bind=True, autoretry_for=(redis.RedisError,), retry_backoff=True,
    retry_backoff_max=60, max_retries=20,
)  # fmt: skip
def analyze(self: Task, message_id: str, text: str) -> dict[str, Any]:
    current = status.decode(store().get(status.key(message_id)))
    if current is not None and current.get("status") == "done":
        log_event(log, "task.finished", "already done, not redone", message_id=message_id, duplicate=True)
        return dict(current.get("result") or {})
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    save(message_id, "processing")
    log_event(log, "task.started", "analysis started", message_id=message_id, redelivered=redelivered)
    started = time.perf_counter()
    try:
        result = analyze_text(text)
        if settings.extra_cost_ms > 0:
            # Simulated extra cost for the scaling experiments; a worker thread, not an event loop.
            time.sleep(settings.extra_cost_ms / 1000)
    except Exception as exc:
        save(message_id, "failed", {"error": type(exc).__name__})
        log_event(
            log, "task.failed", "analysis failed", level=logging.ERROR, message_id=message_id,
            error=type(exc).__name__,
        )  # fmt: skip
        raise
    result["worker"] = self.request.hostname
    save(message_id, "done", result)
    log_event(
        log, "task.finished", "analysis finished", message_id=message_id,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
    )  # fmt: skip
    return result
