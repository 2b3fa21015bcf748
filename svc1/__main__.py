"""``python -m svc1``: service_1 on SVC1_HOST:SVC1_PORT (127.0.0.1:8001)."""

from __future__ import annotations

import uvloop
from aiohttp import web

from logpipe import setup_logging
from svc1.app import create_app
from svc1.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    setup_logging("service_1")
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=None,
        shutdown_timeout=10.0,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
