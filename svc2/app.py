"""service_2's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from logpipe import get_logger, log_event
from svc2 import keys, views
from svc2.openapi import SPEC
from svc2.settings import Settings
from webcore.limits import MAX_BODY_BYTES
from webcore.metrics import HttpMetrics
from webcore.service import new_service_app

log = get_logger("svc2")
# service_1 forwards at most 4,000 characters in a small JSON object.


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
    metrics = HttpMetrics("service_2")
    app = new_service_app(metrics, log, max_body_bytes=MAX_BODY_BYTES)
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    setup_routes(app)
    app.cleanup_ctx.append(lifecycle)
    return app
