"""The wiring every HTTP service of ours shares: one middleware stack, one way to serve."""

from __future__ import annotations

import logging

import uvloop
from aiohttp import web

from webcore.metrics import HttpMetrics
from webcore.middlewares import error_middleware, metrics_middleware, request_id_middleware
from webcore.parser_errors import redact_parser_errors


def new_service_app(metrics: HttpMetrics, logger: logging.Logger, *, max_body_bytes: int) -> web.Application:
    """An application with request ids, metrics and JSON errors, outermost first."""
    redact_parser_errors()
    return web.Application(
        client_max_size=max_body_bytes,
        middlewares=[request_id_middleware, metrics_middleware(metrics), error_middleware(logger)],
    )


def serve(app: web.Application, host: str, port: int) -> None:
    """Runs until SIGINT/SIGTERM, then lets requests in flight finish (graceful shutdown)."""
    web.run_app(
        app,
        host=host,
        port=port,
        access_log=None,
        print=None,
        shutdown_timeout=10.0,
        loop=uvloop.new_event_loop(),
    )
