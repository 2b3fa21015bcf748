"""Every logpipe setting, read from the environment in one place, each with a one-machine default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FLUENTD_HOST = "127.0.0.1"
DEFAULT_FLUENTD_PORT = 24224


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    return int(raw) if raw else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


def fluent_enabled(env: Mapping[str, str]) -> bool:
    """Streaming is on unless FLUENTD_ENABLED=0: the contract has every process stream to
    FLUENTD_HOST:FLUENTD_PORT (127.0.0.1:24224 by default); while nothing listens there, records wait in
    the spool."""
    return env.get("FLUENTD_ENABLED", "").strip() != "0"


@dataclass(frozen=True)
class LogSettings:
    log_dir: Path
    level: str
    # Whether records carry funcName/lineno/pathname; off by default because our lines never show them.
    caller_info: bool
    fluent_enabled: bool
    fluent_host: str
    fluent_port: int
    tag_prefix: str
    spool_max_bytes: int
    # A segment is also the largest chunk sent at once, so it stays far below the collector's frame limit.
    spool_segment_bytes: int
    send_timeout: float
    retry_max_seconds: float
    flush_timeout: float
    central_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LogSettings:
        env = os.environ if env is None else env
        return cls(
            log_dir=Path(env.get("LOG_DIR") or "logs"),
            level=env.get("LOG_LEVEL") or "INFO",
            caller_info=env.get("LOG_CALLER_INFO", "").strip() == "1",
            fluent_enabled=fluent_enabled(env),
            fluent_host=env.get("FLUENTD_HOST") or DEFAULT_FLUENTD_HOST,
            fluent_port=_int(env, "FLUENTD_PORT", DEFAULT_FLUENTD_PORT),
            tag_prefix=env.get("FLUENTD_TAG_PREFIX") or "app",
            spool_max_bytes=_int(env, "LOG_SPOOL_MAX_BYTES", 64 * 1024 * 1024),
            spool_segment_bytes=_int(env, "LOG_SPOOL_SEGMENT_BYTES", 512 * 1024),
            send_timeout=_float(env, "LOG_FLUENT_TIMEOUT", 3.0),
            retry_max_seconds=_float(env, "LOG_FLUENT_RETRY_MAX", 2.0),
            flush_timeout=_float(env, "LOG_FLUSH_TIMEOUT", 5.0),
            central_dir=Path(env.get("CENTRAL_LOG_DIR") or "logs/central"),
        )


@dataclass(frozen=True)
class CollectorSettings:
    host: str
    port: int
    central_dir: Path
    # A frame is one msgpack message; anything larger is refused and its connection dropped.
    max_frame_bytes: int
    dedup_ids: int
    open_files: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CollectorSettings:
        env = os.environ if env is None else env
        return cls(
            host=env.get("FLUENTD_HOST") or DEFAULT_FLUENTD_HOST,
            port=_int(env, "FLUENTD_PORT", DEFAULT_FLUENTD_PORT),
            central_dir=Path(env.get("CENTRAL_LOG_DIR") or "logs/central"),
            max_frame_bytes=_int(env, "COLLECTOR_MAX_FRAME_BYTES", 16 * 1024 * 1024),
            dedup_ids=_int(env, "COLLECTOR_DEDUP_IDS", 500_000),
            open_files=_int(env, "COLLECTOR_OPEN_FILES", 64),
        )
