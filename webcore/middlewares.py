"""Middlewares both services use, outermost first: request id, metrics, JSON errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from logpipe import request_id_var
from webcore.errors import HTTP_CODES, ApiError
from webcore.metrics import HttpMetrics, route_label
from webcore.request_ids import HEADER, accept_request_id

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = accept_request_id(request.headers.get(HEADER))
    token = request_id_var.set(request_id)
    try:
        response = await handler(request)
    finally:
        request_id_var.reset(token)
    response.headers[HEADER] = request_id
    return response


def metrics_middleware(metrics: HttpMetrics) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            metrics.observe(route_label(request), request.method, status, time.perf_counter() - started)

    return middleware


def error_middleware(logger: logging.Logger) -> Middleware:
    """Turns every failure into ``{"error", "detail"}``; internals are logged, never shown."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as err:
            return err.response()
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = HTTP_CODES.get(exc.status, "http_error")
            return ApiError(exc.status, code, exc.reason).response()
        except Exception as exc:
            logger.exception(
                "unhandled error",
                extra={"event": "http.error", "error": type(exc).__name__, "route": route_label(request)},
            )
            return ApiError(500, "internal_error", "internal error; see the service log").response()

    return middleware
