"""Celery and worker settings from the environment, with defaults that work on one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from celery_app.redisconf import RedisConf


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    redis_url: str
    broker_url: str
    queue: str
    result_backend: str
    # Longer than the slowest task: a message unacked for longer is handed to another worker.
    visibility_timeout: float
    restore_interval: float
    concurrency: int
    extra_cost_ms: float
    result_ttl_seconds: int
    # REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_TLS_CA: how every Redis URL above is reached.
    redis: RedisConf = field(default_factory=RedisConf)

    @classmethod
    def from_env(cls) -> WorkerSettings:
        redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        return cls(
            redis_url=redis_url,
            broker_url=os.environ.get("CELERY_BROKER_URL") or redis_url,
            queue=os.environ.get("CELERY_QUEUE") or "ingest",
            result_backend=os.environ.get("CELERY_RESULT_BACKEND") or redis_url,
            visibility_timeout=env_float("CELERY_VISIBILITY_TIMEOUT", 300.0),
            restore_interval=env_float("CELERY_RESTORE_INTERVAL", 10.0),
            concurrency=int(env_float("CELERY_CONCURRENCY", 2)),
            extra_cost_ms=env_float("ANALYSIS_EXTRA_COST_MS", 0.0),
            result_ttl_seconds=int(env_float("RESULT_TTL_SECONDS", 7 * 24 * 3600)),
            redis=RedisConf.from_env(),
        )
