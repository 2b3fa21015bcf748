"""Every logpipe setting, read from the environment in one place, each with a one-machine default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envconfig import Env

DEFAULT_FLUENTD_HOST = "127.0.0.1"
DEFAULT_FLUENTD_PORT = 24224
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "logging" / "logging.toml"


def fluent_enabled(env: Mapping[str, str]) -> bool:
    """Streaming is on unless FLUENTD_ENABLED=0: the contract has every process stream to
    FLUENTD_HOST:FLUENTD_PORT (127.0.0.1:24224 by default); while nothing listens there, records wait in
    the spool."""
    return Env(env).flag("FLUENTD_ENABLED", True)


def default_config() -> Path:
    if DEFAULT_CONFIG.exists():
        return DEFAULT_CONFIG
    # An installed (non-editable) package runs from the repository's copy, as the image does.
    return Path.cwd() / "logging" / "logging.toml"


@dataclass(frozen=True)
class LogSettings:
    log_dir: Path
    # The declarative configuration (LOG_CONFIG), and LOG_LEVEL when it overrides the file's root level.
    config: Path
    level: str | None
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
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LogSettings:
        env = Env(environ)
        return cls(
            log_dir=env.path("LOG_DIR", "logs"),
            config=env.path("LOG_CONFIG", default_config()),
            level=env.optional("LOG_LEVEL"),
            caller_info=env.flag("LOG_CALLER_INFO", False),
            fluent_enabled=env.flag("FLUENTD_ENABLED", True),
            fluent_host=env.text("FLUENTD_HOST", DEFAULT_FLUENTD_HOST),
            fluent_port=env.integer("FLUENTD_PORT", DEFAULT_FLUENTD_PORT, minimum=1),
            tag_prefix=env.text("FLUENTD_TAG_PREFIX", "app"),
            spool_max_bytes=env.integer("LOG_SPOOL_MAX_BYTES", 64 * 1024 * 1024, minimum=0),
            spool_segment_bytes=env.integer("LOG_SPOOL_SEGMENT_BYTES", 512 * 1024, minimum=1024),
            send_timeout=env.number("LOG_FLUENT_TIMEOUT", 3.0, minimum=0.01),
            retry_max_seconds=env.number("LOG_FLUENT_RETRY_MAX", 2.0, minimum=0.01),
            flush_timeout=env.number("LOG_FLUSH_TIMEOUT", 5.0, minimum=0),
            central_dir=env.path("CENTRAL_LOG_DIR", "logs/central"),
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
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CollectorSettings:
        env = Env(environ)
        logs = LogSettings.from_env(environ)
        return cls(
            host=logs.fluent_host,
            port=logs.fluent_port,
            central_dir=logs.central_dir,
            max_frame_bytes=env.integer("COLLECTOR_MAX_FRAME_BYTES", 16 * 1024 * 1024, minimum=1024),
            dedup_ids=env.integer("COLLECTOR_DEDUP_IDS", 500_000, minimum=1),
            open_files=env.integer("COLLECTOR_OPEN_FILES", 64, minimum=1),
        )
