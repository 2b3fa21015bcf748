"""The analysis task. Idempotent by message id: a redelivered message whose result is stored is not redone."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import redis
from celery import Task
from redis.connection import AbstractConnection

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


@contextmanager
def status_connection() -> Iterator[AbstractConnection]:
    """One connection of the store's pool, held for a task's status writes.

    A first delivery that announces ``processing`` (see ``Pace``) sends it when it starts and reads its
    answer only with the final write's: the two writes cost one wait for Redis instead of two. A connection
    left with answers unread (an error between the writes) is closed, never handed to another task.
    """
    pool = store().connection_pool
    conn = pool.get_connection()
    try:
        yield conn
    except BaseException:
        conn.disconnect()  # type: ignore[no-untyped-call]
        raise
    finally:
        pool.release(conn)


def send_claim(conn: AbstractConnection, message_id: str) -> None:
    # EVAL, not EVALSHA: a Redis that lost its script cache (a restart, a failover) still runs it.
    conn.send_command(  # type: ignore[no-untyped-call]
        "EVAL",
        CLAIM,
        1,
        shared.status_key(message_id),
        shared.encode_status("processing"),
        settings.result_ttl_seconds,
    )


def send_status(
    conn: AbstractConnection, message_id: str, state: shared.Status, result: dict[str, Any] | None
) -> None:
    conn.send_command(  # type: ignore[no-untyped-call]
        "SET",
        shared.status_key(message_id),
        shared.encode_status(state, result),
        "EX",
        settings.result_ttl_seconds,
    )


def read_answers(conn: AbstractConnection, count: int) -> None:
    """Reads the answers of the writes sent on ``conn``; an error answer raises (and the task retries)."""
    for _ in range(count):
        conn.read_response()  # type: ignore[no-untyped-call]


class Pace:
    """Whether a worker's analyses are slow enough for a client to see ``processing``.

    A task that is done within milliseconds replaces ``processing`` before any client could read it, and
    announcing it was one more write per task (bench.drain: ~15% of a worker's rate). So it is announced
    while the analyses are slow: a simulated extra cost is configured, or the last one took ``VISIBLE_MS``
    or more (the first slow one after fast ones goes unannounced; the next ones are announced).
    """

    VISIBLE_MS = 10.0

    def __init__(self) -> None:
        self.last_ms = 0.0

    def announces(self) -> bool:
        return settings.extra_cost_ms > 0 or self.last_ms >= self.VISIBLE_MS


pace = Pace()


def run_analysis(self: Task, text: str) -> dict[str, Any]:
    result = analyze_text(text)
    if settings.extra_cost_ms > 0:
        # Simulated extra cost for the scaling experiments; a worker thread, not an event loop.
        time.sleep(settings.extra_cost_ms / 1000)
    result["worker"] = self.request.hostname
    return result


def log_failed(message_id: str, exc: Exception) -> None:
    log_event(
        log,
        "task.failed",
        "analysis failed",
        level=logging.ERROR,
        message_id=message_id,
        error=type(exc).__name__,
    )


# The result goes to the status store only (GET /messages/{id}); the task returns nothing, because
# Celery would render a returned value with saferepr for every task (~75 µs here) only to put a third copy
# in the task-succeeded event.
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
def analyze(self: Task, message_id: str, text: str) -> None:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if redelivered:
        # Its worker may have died after the work was done: that must be known before the work starts.
        current = claim(message_id)
        if current is not None:
            log_event(log, "task.finished", "already done, not redone", message_id=message_id, duplicate=True)
            return
    with status_connection() as conn:
        unread = 0
        if not redelivered and pace.announces():
            send_claim(conn, message_id)
            unread = 1
        log_event(log, "task.started", "analysis started", message_id=message_id, redelivered=redelivered)
        started = time.perf_counter()
        try:
            result = run_analysis(self, text)
        except Exception as exc:
            send_status(conn, message_id, "failed", {"error": type(exc).__name__})
            read_answers(conn, unread + 1)
            log_failed(message_id, exc)
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        pace.last_ms = duration_ms
        send_status(conn, message_id, "done", result)
        read_answers(conn, unread + 1)
    log_event(
        log,
        "task.finished",
        "analysis finished",
        message_id=message_id,
        duration_ms=round(duration_ms, 3),
    )
