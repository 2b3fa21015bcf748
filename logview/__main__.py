"""``python -m logview``: serve the viewer on LOGVIEW_HOST:LOGVIEW_PORT (127.0.0.1:8003)."""

from __future__ import annotations

import sys

from aiohttp import web

from logpipe import get_logger
from logview.app import create_app
from logview.middlewares import AccessLogger
from logview.settings import ConfigError, Settings


def main() -> int:
    settings = Settings.from_env()
    try:
        settings.validate()
    except ConfigError as exc:
        print(f"logview: {exc}", file=sys.stderr)
        return 2
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log_class=AccessLogger,
        access_log=get_logger("logview.access"),
        shutdown_timeout=settings.shutdown_timeout,
        print=lambda msg: print(msg, file=sys.stderr),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
