"""service_1 settings from the environment (``SVC1_*`` and the shared names), defaults for one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_BODY_BYTES = 64 * 1024


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
    def from_env(cls) -> Settings:
        env = os.environ
        redis_url = env.get("REDIS_URL") or cls.redis_url
        return cls(
            host=env.get("SVC1_HOST") or cls.host,
            port=int(env.get("SVC1_PORT") or cls.port),
            redis_url=redis_url,
            svc2_url=(env.get("SVC2_URL") or cls.svc2_url).rstrip("/"),
            service_token=env.get("SERVICE_TOKEN", ""),
            report_dir=Path(env.get("REPORT_DIR") or cls.report_dir),
            svc2_timeout=float(env.get("SVC2_TIMEOUT") or cls.svc2_timeout),
            publish_timeout=float(env.get("PUBLISH_TIMEOUT") or cls.publish_timeout),
            broker_retry_after=float(env.get("BROKER_RETRY_AFTER") or cls.broker_retry_after),
            publish_threads=int(env.get("PUBLISH_THREADS") or cls.publish_threads),
            reports_per_minute=int(env.get("REPORTS_PER_MINUTE") or cls.reports_per_minute),
            result_ttl_seconds=int(env.get("RESULT_TTL_SECONDS") or cls.result_ttl_seconds),
            max_backlog=int(env.get("MAX_BACKLOG") or cls.max_backlog),
            overload_retry_after=float(env.get("OVERLOAD_RETRY_AFTER") or cls.overload_retry_after),
            user_rate=float(env.get("USER_RATE") or cls.user_rate),
            user_burst=int(env.get("USER_BURST") or cls.user_burst),
            idempotency_ttl=int(env.get("IDEMPOTENCY_TTL") or cls.idempotency_ttl),
        )
