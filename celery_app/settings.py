"""Celery and worker settings from the environment, with defaults that work on one machine."""

from __future__ import annotations

from dataclasses import dataclass, field

from celery_app.redisconf import RedisConf
from envconfig import Env


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
    def from_env(cls, env: Env | None = None) -> WorkerSettings:
        """Also the one reader of REDIS_URL and RESULT_TTL_SECONDS for service_1, which publishes to the
        same broker and writes the same status store."""
        env = env or Env()
        redis_url = env.text("REDIS_URL", "redis://127.0.0.1:6379/0")
        return cls(
            redis_url=redis_url,
            broker_url=env.text("CELERY_BROKER_URL", redis_url),
            queue=env.text("CELERY_QUEUE", "ingest"),
            result_backend=env.text("CELERY_RESULT_BACKEND", redis_url),
            visibility_timeout=env.number("CELERY_VISIBILITY_TIMEOUT", 300.0, minimum=1),
            restore_interval=env.number("CELERY_RESTORE_INTERVAL", 10.0, minimum=0.1),
            concurrency=env.integer("CELERY_CONCURRENCY", 2, minimum=1),
            extra_cost_ms=env.number("ANALYSIS_EXTRA_COST_MS", 0.0, minimum=0),
            result_ttl_seconds=env.integer("RESULT_TTL_SECONDS", 7 * 24 * 3600, minimum=1),
            redis=RedisConf.from_env(env.environ),
        )
