"""The analysis task. Idempotent by message id: a redelivered message whose result is stored is not redone."""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

import redis
from celery import Task

from celery_app import redisconf, shared
from celery_app.analysis import analyze_text
from celery_app.celery import app, settings
from celery_app.shared import TASK_ANALYZE
from logpipe import get_logger, log_event

log = get_logger("celery_app.tasks")


@cache
def store() -> redis.Redis:
    # One client (and connection pool) per process, shared by the pool's threads.
    # Through Sentinel when configured: the client asks for the master again after a failover.
    return redisconf.sync_client(
        settings.redis_url, settings.redis, socket_timeout=5, socket_connect_timeout=2
    )


def save(message_id: str, state: shared.Status, result: dict[str, Any] | None = None) -> None:
    store().set(
        shared.status_key(message_id), shared.encode_status(state, result), ex=settings.result_ttl_seconds
    )


# KEYS: the status key. ARGV: the "processing" value, its ttl. One round trip instead of a GET and a SET:
# returns the stored record when the message is already done, else marks it processing and returns nil.
CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then
    local ok, record = pcall(cjson.decode, current)
    if ok and type(record) == 'table' and record.status == 'done' then return current end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""


@cache
def _claim_script() -> Any:
    return store().register_script(CLAIM)


def claim(message_id: str) -> dict[str, Any] | None:
    """The stored record when this message is already done (a redelivery), else None once it is marked
    ``processing``."""
    done = _claim_script()(
        keys=[shared.status_key(message_id)],
        args=[shared.encode_status("processing"), settings.result_ttl_seconds],
    )
    return shared.decode_status(done)


# A store outage must not cost the job: with acks_late a failed task is acknowledged and gone, so a
# Redis error retries it (with backoff) instead of failing it.
@app.task(
    name=TASK_ANALYZE,
    bind=True,
    autoretry_for=(redis.RedisError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=20,
)
def analyze(self: Task, message_id: str, text: str) -> dict[str, Any]:
    current = claim(message_id)
    if current is not None:
        log_event(log, "task.finished", "already done, not redone", message_id=message_id, duplicate=True)
        return dict(current.get("result") or {})
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
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
            log,
            "task.failed",
            "analysis failed",
            level=logging.ERROR,
            message_id=message_id,
            error=type(exc).__name__,
        )
        raise
    result["worker"] = self.request.hostname
    save(message_id, "done", result)
    log_event(
        log,
        "task.finished",
        "analysis finished",
        message_id=message_id,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
    )
    return result
