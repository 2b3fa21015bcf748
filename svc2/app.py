"""service_2's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from logpipe import get_logger, log_event
from svc2 import keys, views
from svc2.openapi import SPEC
from svc2.settings import Settings
from webcore.metrics import HttpMetrics
from webcore.middlewares import error_middleware, metrics_middleware, request_id_middleware
from webcore.parser_errors import redact_parser_errors

log = get_logger("svc2")
# service_1 forwards at most 4,000 characters in a small JSON object.
MAX_BODY_BYTES = 64 * 1024


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/process", views.process)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/readyz", views.readyz)
    app.router.add_get("/metrics", views.metrics)
    app.router.add_get("/openapi.json", openapi)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    log_event(log, "service.started", f"service_2 listening on {settings.host}:{settings.port}")
    yield
    log_event(log, "service.stopping", "service_2 stopping")


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    redact_parser_errors()
    metrics = HttpMetrics("service_2")
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        middlewares=[request_id_middleware, metrics_middleware(metrics), error_middleware(log)],
    )
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    setup_routes(app)
    app.cleanup_ctx.append(lifecycle)
    return app
