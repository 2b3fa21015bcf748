"""service_1 settings from the environment (``SVC1_*`` and the shared names), defaults for one machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from celery_app.settings import WorkerSettings
from envconfig import Env


# No slots: from_env reads the class defaults.
@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8001
    redis_url: str = "redis://127.0.0.1:6379/0"
    svc2_url: str = "http://127.0.0.1:8002"
    service_token: str = ""
    report_dir: Path = Path("error_reports")
    # Longer than service_2's own work on the largest message; a sync caller gets 504 past it.
    svc2_timeout: float = 5.0
    # A publish slower than this answers 503: "fast, never a hang".
    publish_timeout: float = 0.5
    # After a failed publish the broker is not tried again for this long; a probe runs meanwhile.
    broker_retry_after: float = 2.0
    publish_threads: int = 8
    reports_per_minute: int = 120
    result_ttl_seconds: int = 7 * 24 * 3600
    # Past this many jobs waiting in the queue POST answers 429 at once instead of letting Redis fill up
    # (two workers at the default cost drain it in a few minutes); 0 turns the bound off.
    max_backlog: int = 10_000
    overload_retry_after: float = 1.0
    # Per user, across every replica: this many messages a second on average, this many at once
    # (USER_RATE=0 turns the limit off).
    user_rate: float = 10.0
    user_burst: int = 30
    # How long an Idempotency-Key's first answer is kept for its repeats.
    idempotency_ttl: int = 24 * 3600

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        # The broker and status store are the workers' as well: read once, by their settings.
        shared = WorkerSettings.from_env(env)
        return cls(
            host=env.text("SVC1_HOST", cls.host),
            port=env.integer("SVC1_PORT", cls.port, minimum=1),
            redis_url=shared.redis_url,
            svc2_url=env.text("SVC2_URL", cls.svc2_url).rstrip("/"),
            service_token=env.text("SERVICE_TOKEN", ""),
            report_dir=env.path("REPORT_DIR", cls.report_dir),
            svc2_timeout=env.number("SVC2_TIMEOUT", cls.svc2_timeout, minimum=0.01),
            publish_timeout=env.number("PUBLISH_TIMEOUT", cls.publish_timeout, minimum=0.01),
            broker_retry_after=env.number("BROKER_RETRY_AFTER", cls.broker_retry_after, minimum=0),
            publish_threads=env.integer("PUBLISH_THREADS", cls.publish_threads, minimum=1),
            reports_per_minute=env.integer("REPORTS_PER_MINUTE", cls.reports_per_minute, minimum=1),
            result_ttl_seconds=shared.result_ttl_seconds,
            max_backlog=env.integer("MAX_BACKLOG", cls.max_backlog, minimum=0),
            overload_retry_after=env.number("OVERLOAD_RETRY_AFTER", cls.overload_retry_after, minimum=0),
            user_rate=env.number("USER_RATE", cls.user_rate, minimum=0),
            user_burst=env.integer("USER_BURST", cls.user_burst, minimum=1),
            idempotency_ttl=env.integer("IDEMPOTENCY_TTL", cls.idempotency_ttl, minimum=1),
        )
