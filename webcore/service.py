"""The wiring every HTTP service of ours shares: one middleware stack, one way to serve."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import uvloop
from aiohttp import web

from envconfig import Env
from webcore.metrics import HttpMetrics
from webcore.middlewares import edge_middleware
from webcore.parser_errors import redact_parser_errors
from webcore.protocol import ServiceRunner

SHUTDOWN_TIMEOUT = 10.0
KEEPALIVE_TIMEOUT = 75.0
# A body (64 KiB at most) that has not arrived after this long is refused with 408 (BODY_TIMEOUT, seconds).
BODY_TIMEOUT = 10.0
# The cyclic GC's first-generation threshold while serving (see serve).
GC_THRESHOLD = 10_000


def new_service_app(metrics: HttpMetrics, logger: logging.Logger, *, max_body_bytes: int) -> web.Application:
    """An application with request ids, metrics, JSON errors and the body limits (one middleware)."""
    redact_parser_errors()
    body_timeout = Env().number("BODY_TIMEOUT", BODY_TIMEOUT, minimum=0.01)
    return web.Application(
        client_max_size=max_body_bytes,
        middlewares=[
            edge_middleware(metrics, logger, max_body_bytes=max_body_bytes, body_timeout=body_timeout)
        ],
    )


async def _run(app: web.Application, host: str, port: int) -> None:
    runner = ServiceRunner(
        app,
        handle_signals=True,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        keepalive_timeout=KEEPALIVE_TIMEOUT,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def serve(app: web.Application, host: str, port: int) -> None:
    """Runs until SIGINT/SIGTERM, then lets requests in flight finish (graceful shutdown).

    What ``web.run_app`` does, with a runner whose connections answer malformed HTTP in JSON."""
    # What exists now (modules, the detector's tables, phonenumbers' metadata: ~70k objects) lives as long
    # as the process. Frozen, the cyclic GC stops walking it on every full collection (~30 ms each, the
    # p99 spikes under load: bench.ingest's p99 went from ~50 to ~25 ms).
    gc.freeze()
    # The default first threshold (700 more tracked objects than freed) is crossed ~170 times a second
    # under load by what is merely in flight (requests, log records waiting for the writer), not by garbage:
    # ~5 µs of collection per request, 4% of service_1's CPU. Ten thousand objects in leaked cycles still
    # cross it, so garbage stays bounded; a collection of that size takes under a millisecond.
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_run(app, host, port))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            rest = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in rest:
                task.cancel()
            if rest:
                loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
