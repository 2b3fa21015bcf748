"""The log viewer's app factory: settings in, a wired ``web.Application`` out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from logpipe import get_logger, log_event, setup_logging
from logview.alertindex import AlertIndex
from logview.keys import ALERTS, EXECUTOR, METRICS, SETTINGS, TAILER
from logview.middlewares import add_security_headers, auth_middleware
from logview.routes import setup_routes
from logview.settings import Settings
from logview.tail import Tailer
from webcore.limits import MAX_BODY_BYTES
from webcore.metrics import HttpMetrics
from webcore.service import new_service_app

log = get_logger("logview")


async def logging_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pipeline = setup_logging("logview", log_dir=settings.log_dir) if settings.setup_logging else None
    log_event(log, "logview.started", "log viewer started", central_dir=str(settings.central_dir))
    yield
    log_event(log, "logview.stopped", "log viewer stopped")
    if pipeline is not None:
        pipeline.stop()


async def executor_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    executor = ThreadPoolExecutor(settings.reader_threads, thread_name_prefix="logview-read")
    app[EXECUTOR] = executor
    app[ALERTS] = AlertIndex(settings.central_dir)
    yield
    executor.shutdown(wait=True, cancel_futures=True)


async def tail_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    tailer = Tailer(settings.central_dir, app[EXECUTOR], settings.poll_interval)
    app[TAILER] = tailer
    await tailer.start()
    yield
    await tailer.stop()


async def close_streams(app: web.Application) -> None:
    """Ends open event streams first, so a graceful shutdown does not wait for browsers to hang up."""
    app[TAILER].close_all()


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    metrics = HttpMetrics("logview")
    # The services' own stack (request ids, JSON errors, metrics); only small GET requests are served and
    # nothing legitimate sends a body. The token check runs inside it, so its refusals are JSON too.
    app = new_service_app(metrics, log, max_body_bytes=MAX_BODY_BYTES)
    app.middlewares.append(auth_middleware)
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app.cleanup_ctx.extend([logging_ctx, executor_ctx, tail_ctx])
    app.on_shutdown.append(close_streams)
    app.on_response_prepare.append(add_security_headers)
    setup_routes(app)
    return app
