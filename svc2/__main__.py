"""``python -m svc2``: service_2 on SVC2_HOST:SVC2_PORT (127.0.0.1:8002). Refuses to start without a token."""

from __future__ import annotations

import sys

import uvloop
from aiohttp import web

from logpipe import setup_logging
from svc2.app import create_app
from svc2.settings import MissingToken, Settings


def main() -> int:
    try:
        settings = Settings.from_env()
    except MissingToken as exc:
        print(f"service_2: {exc}", file=sys.stderr)
        return 2
    setup_logging("service_2")
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=10.0,
        loop=uvloop.new_event_loop(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
