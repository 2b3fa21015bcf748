"""Every URL of the viewer, in one place."""

from __future__ import annotations

from aiohttp import web

from logview import views


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views.index)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/metrics", views.metrics)
    app.router.add_get("/favicon.ico", views.favicon)
    app.router.add_get("/api/logs", views.api_logs)
    app.router.add_get("/api/alerts", views.api_alerts)
    app.router.add_get("/api/stats", views.api_stats)
    app.router.add_get("/api/facets", views.api_facets)
    app.router.add_get("/api/stream", views.api_stream)
    app.router.add_static("/static/", views.STATIC, show_index=False, follow_symlinks=False)
