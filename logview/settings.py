"""Settings from the environment, in one place, with defaults that work on one machine."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envconfig import Env
from logpipe.settings import LogSettings


class ConfigError(ValueError):
    """A configuration the viewer refuses to start with."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that may resolve anywhere is treated as exposed


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8003
    central_dir: Path = Path("logs/central")
    log_dir: Path = Path("logs")
    token: str | None = None
    # How often the live tail looks for appended lines; a person does not notice half a second.
    poll_interval: float = 0.5
    max_limit: int = 500
    # What one query may spend before it answers "partial, continue from here": a rare needle in a huge
    # log then costs the operator a click, not a stuck thread. Seconds is the limit that usually bites.
    scan_budget: int = 4 * 1024**3
    scan_seconds: float = 2.0
    setup_logging: bool = True
    # Threads for file reads: bounded, so ten people searching at once queue instead of thrashing.
    reader_threads: int = 4
    shutdown_timeout: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = Env(environ)
        # Where the logs are is logpipe's to say (LOG_DIR, CENTRAL_LOG_DIR), read once there.
        logs = LogSettings.from_env(environ)
        return cls(
            host=env.text("LOGVIEW_HOST", cls.host),
            port=env.integer("LOGVIEW_PORT", cls.port, minimum=1),
            central_dir=logs.central_dir,
            log_dir=logs.log_dir,
            token=env.optional("LOGVIEW_TOKEN"),
            poll_interval=env.number("LOGVIEW_POLL_INTERVAL", cls.poll_interval, minimum=0.01),
            scan_budget=env.integer("LOGVIEW_SCAN_BUDGET_MB", 4096, minimum=1) * 1024 * 1024,
            scan_seconds=env.number("LOGVIEW_SCAN_SECONDS", cls.scan_seconds, minimum=0.01),
        )

    def validate(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise ConfigError(
                f"LOGVIEW_HOST={self.host} is reachable from other machines: set LOGVIEW_TOKEN "
                "(a long random string) or bind 127.0.0.1"
            )
        if self.token is not None and len(self.token) < 16:
            raise ConfigError("LOGVIEW_TOKEN is too short: use at least 16 random characters")
