"""service_1's app factory: each concern wired by a ``setup_*`` function, resources in ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from alerts.reports import ReportWriter
from celery_app import redisconf
from celery_app.config import create_celery
from celery_app.settings import WorkerSettings
from logpipe import get_logger, log_event
from svc1 import keys, views
from svc1.admission import BEGIN_SYNC
from svc1.broker import Publisher
from svc1.metrics import Svc1Metrics
from svc1.openapi import SPEC
from svc1.settings import Settings
from webcore.limits import MAX_BODY_BYTES
from webcore.service import new_service_app

log = get_logger("svc1")
REPORT_FLUSH_SECONDS = 10.0


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/messages", views.post_message)
    app.router.add_get("/messages/{id}", views.get_message)
    app.router.add_get("/healthz", views.healthz)
    app.router.add_get("/readyz", views.readyz)
    app.router.add_get("/metrics", views.metrics)
    app.router.add_get("/openapi.json", openapi)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)


def make_publisher(settings: Settings, store: aioredis.Redis) -> Publisher:
    celery = create_celery(WorkerSettings.from_env())
    # service_1 must answer 503 fast when the broker is down, so its connections give up early.
    celery.conf.broker_connection_timeout = settings.publish_timeout
    options = dict(celery.conf.broker_transport_options)
    options |= {
        "socket_connect_timeout": settings.publish_timeout,
        "socket_timeout": settings.publish_timeout,
    }
    if celery.conf.broker_url.startswith(("amqp", "pyamqp")):
        # The contract promises the job is in the broker before 202: wait for RabbitMQ's confirm.
        options["confirm_publish"] = True
    celery.conf.broker_transport_options = options
    return Publisher(
        celery,
        threads=settings.publish_threads,
        timeout=settings.publish_timeout,
        retry_after=settings.broker_retry_after,
        store_url=settings.redis_url,
        status_ttl=settings.result_ttl_seconds,
        max_backlog=settings.max_backlog,
        idempotency_ttl=settings.idempotency_ttl,
        # The broker is usually the status store's Redis: one client, one pool, for both.
        redis_client=store,
    )


async def files_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    app[keys.FILES] = ThreadPoolExecutor(4, thread_name_prefix="files")
    app[keys.REPORTS] = ReportWriter(settings.report_dir, settings.reports_per_minute, service="service_1")
    try:
        yield
    finally:
        app[keys.REPORTS].close()
        app[keys.FILES].shutdown(wait=True)


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    app[keys.STORE] = redisconf.async_client(
        settings.redis_url, socket_timeout=1.0, socket_connect_timeout=settings.publish_timeout
    )
    app[keys.ADMIT] = app[keys.STORE].register_script(BEGIN_SYNC)
    try:
        yield
    finally:
        await app[keys.STORE].aclose()


async def http_ctx(app: web.Application) -> AsyncIterator[None]:
    app[keys.HTTP] = aiohttp.ClientSession()
    try:
        yield
    finally:
        await app[keys.HTTP].close()


async def publisher_ctx(app: web.Application) -> AsyncIterator[None]:
    publisher = make_publisher(app[keys.SETTINGS], app[keys.STORE])
    app[keys.PUBLISHER] = publisher
    await publisher.start()
    try:
        yield
    finally:
        await publisher.close()


async def report_flusher_ctx(app: web.Application) -> AsyncIterator[None]:
    flusher = asyncio.create_task(flush_report_summaries(app), name="report-flusher")
    try:
        yield
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher


async def announce_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    log_event(log, "service.started", f"service_1 listening on {settings.host}:{settings.port}")
    yield
    log_event(log, "service.stopping", "service_1 stopping")


async def flush_report_summaries(app: web.Application) -> None:
    """Writes the summary of a flood's suppressed reports once its minute is over, even if no alert of
    that type comes after it."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(REPORT_FLUSH_SECONDS)
        try:
            await loop.run_in_executor(app[keys.FILES], app[keys.REPORTS].flush)
        except OSError as exc:
            log_event(log, "report.failed", "summary report not written", level=logging.ERROR, error=str(exc))


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    metrics = Svc1Metrics()
    # The contract's limit: a message is at most 4,000 characters, so 64 KiB leaves room for any
    # JSON escaping while keeping a flood of large bodies cheap to refuse.
    app = new_service_app(metrics, log, max_body_bytes=MAX_BODY_BYTES)
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    setup_routes(app)
    # One context per resource, in the order they depend on each other (closed in reverse).
    app.cleanup_ctx.extend([files_ctx, store_ctx, http_ctx, publisher_ctx, report_flusher_ctx, announce_ctx])
    return app
