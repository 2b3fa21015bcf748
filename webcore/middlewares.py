"""Middlewares both services use, outermost first: request id, metrics, JSON errors, body limit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from logpipe import log_event, request_id_var
from webcore.errors import HTTP_CODES, ApiError
from webcore.metrics import HttpMetrics, route_label
from webcore.request_ids import HEADER, accept_request_id

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BAD_BODY = "malformed HTTP request: the body could not be read (bad chunked framing or content encoding)"


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
            return http_error(exc).response()
        except web.RequestPayloadError:
            # The body's framing or content encoding is broken (a gzip body that is not gzip): the client's
            # fault, found only once the handler reads the body.
            log_event(
                logger, "http.bad_request", "request body could not be read", level=logging.WARNING,
                route=route_label(request), error="RequestPayloadError",
            )  # fmt: skip
            response = ApiError(400, "invalid_request", BAD_BODY).response()
            response.force_close()
            return response
        except ConnectionError as exc:
            if not client_gone(request):
                return unhandled(logger, request, exc)
            # The client hung up (mid-body, say): nothing to answer and nothing wrong with the service.
            log_event(
                logger, "http.client_gone", "client closed the connection before the request was read",
                route=route_label(request),
            )  # fmt: skip
            return ApiError(400, "invalid_request", "the client closed the connection").response()
        except Exception as exc:
            return unhandled(logger, request, exc)

    return middleware


def http_error(exc: web.HTTPException) -> ApiError:
    """aiohttp's own refusals (404, 405, 413…) in the JSON shape. The detail is the status phrase, never
    the request's method or path; a 405 keeps its ``Allow``."""
    code = HTTP_CODES.get(exc.status, "http_error")
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    detail = exc.reason
    if exc.status == 405:
        detail = "this route does not take that method; see Allow"
    return ApiError(exc.status, code, detail, headers=headers)


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def unhandled(logger: logging.Logger, request: web.Request, exc: Exception) -> web.StreamResponse:
    logger.exception(
        "unhandled error",
        extra={"event": "http.error", "error": type(exc).__name__, "route": route_label(request)},
    )
    return ApiError(500, "internal_error", "internal error; see the service log").response()


def body_limit_middleware(max_bytes: int, body_timeout: float, logger: logging.Logger) -> Middleware:
    """The body, read here once for the handler (``request.read()`` then returns it at no cost): 413 at once
    for a body declared over the limit, without waiting for bytes that would be refused anyway; 413 as soon
    as a chunked body passes it; 408 when the body does not arrive within ``body_timeout`` seconds, so a
    client that stalls mid-body holds no handler for longer."""

    def refuse(status: int, code: str, detail: str) -> web.Response:
        response = ApiError(status, code, detail).response()
        # Part of the body may still be on its way: this connection carries no further request.
        response.force_close()
        return response

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        declared = request.content_length
        too_large = f"body over the {max_bytes // 1024} KiB limit"
        if declared is not None and declared > max_bytes:
            log_event(
                logger, "http.too_large", "declared body over the limit; refused before reading it",
                level=logging.WARNING, route=route_label(request), content_length=declared, status=413,
            )  # fmt: skip
            return refuse(413, "too_large", too_large)
        if request.body_exists:
            try:
                async with asyncio.timeout(body_timeout):
                    await request.read()
            except TimeoutError:
                log_event(
                    logger, "http.body_timeout", "request body did not arrive in time", level=logging.WARNING,
                    route=route_label(request), content_length=declared, status=408,
                )  # fmt: skip
                return refuse(408, "request_timeout", f"the body did not arrive within {body_timeout:g} s")
            except web.HTTPRequestEntityTooLarge:
                log_event(
                    logger, "http.too_large", "body over the limit", level=logging.WARNING,
                    route=route_label(request), status=413,
                )  # fmt: skip
                return refuse(413, "too_large", too_large)
        return await handler(request)

    return middleware
