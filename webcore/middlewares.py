"""The middleware every service uses: request id, metrics, body limits and JSON errors, in one layer."""

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


def edge_middleware(
    metrics: HttpMetrics, logger: logging.Logger, *, max_body_bytes: int, body_timeout: float
) -> Middleware:
    """The one middleware of every service, in one layer: the request id around everything, the body limits,
    every failure as ``{"error", "detail"}`` (internals logged, never shown), the metrics of the answer.

    One layer rather than four: each layer is another coroutine frame and closure call on every request.
    """
    read_body = body_reader(max_body_bytes, body_timeout, logger)

    async def with_body(request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = await read_body(request)
        return refused if refused is not None else await handler(request)

    guarded = error_guard(logger, with_body)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        request_id = accept_request_id(request.headers.get(HEADER))
        token = request_id_var.set(request_id)
        status = 500
        try:
            response = await guarded(request, handler)
            status = response.status
        except web.HTTPException as exc:  # a redirect: aiohttp answers it
            status = exc.status
            raise
        finally:
            request_id_var.reset(token)
            metrics.observe(route_label(request), request.method, status, time.perf_counter() - started)
        response.headers[HEADER] = request_id
        return response

    return middleware


Step = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def error_guard(logger: logging.Logger, step: Step) -> Step:
    """Runs ``step`` (the body, then the handler) and turns every failure into ``{"error", "detail"}``."""

    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await step(request, handler)
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
                logger,
                "http.bad_request",
                "request body could not be read",
                level=logging.WARNING,
                route=route_label(request),
                error="RequestPayloadError",
            )
            response = ApiError(400, "invalid_request", BAD_BODY).response()
            response.force_close()
            return response
        except ConnectionError as exc:
            if not client_gone(request):
                return unhandled(logger, request, exc)
            # The client hung up (mid-body, say): nothing to answer and nothing wrong with the service.
            log_event(
                logger,
                "http.client_gone",
                "client closed the connection before the request was read",
                route=route_label(request),
            )
            return ApiError(400, "invalid_request", "the client closed the connection").response()
        except Exception as exc:
            return unhandled(logger, request, exc)

    return guarded


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


def body_reader(
    max_bytes: int, body_timeout: float, logger: logging.Logger
) -> Callable[[web.Request], Awaitable[web.Response | None]]:
    """The body, read once for the handler (``request.read()`` then returns it at no cost); None when it is
    read (or there is none), else the refusal to answer: 413 at once for a body declared over the limit,
    without waiting for bytes that would be refused anyway; 413 as soon as a chunked body passes it; 408
    when the body does not arrive within ``body_timeout`` seconds, so a client that stalls mid-body holds
    no handler for longer."""

    def refuse(status: int, code: str, detail: str) -> web.Response:
        response = ApiError(status, code, detail).response()
        # Part of the body may still be on its way: this connection carries no further request.
        response.force_close()
        return response

    async def read(request: web.Request) -> web.Response | None:
        declared = request.content_length
        too_large = f"body over the {max_bytes // 1024} KiB limit"
        if declared is not None and declared > max_bytes:
            log_event(
                logger,
                "http.too_large",
                "declared body over the limit; refused before reading it",
                level=logging.WARNING,
                route=route_label(request),
                content_length=declared,
                status=413,
            )
            return refuse(413, "too_large", too_large)
        if request.body_exists:
            try:
                if request.content.is_eof():
                    # All of it arrived with the headers (the usual small message): no timer to arm.
                    await request.read()
                else:
                    async with asyncio.timeout(body_timeout):
                        await request.read()
            except TimeoutError:
                log_event(
                    logger,
                    "http.body_timeout",
                    "request body did not arrive in time",
                    level=logging.WARNING,
                    route=route_label(request),
                    content_length=declared,
                    status=408,
                )
                return refuse(408, "request_timeout", f"the body did not arrive within {body_timeout:g} s")
            except web.HTTPRequestEntityTooLarge:
                log_event(
                    logger,
                    "http.too_large",
                    "body over the limit",
                    level=logging.WARNING,
                    route=route_label(request),
                    status=413,
                )
                return refuse(413, "too_large", too_large)
        return None

    return read
