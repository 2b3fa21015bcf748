"""Requests no handler sees: malformed HTTP answered in the contract's JSON, the bytes never echoed.

aiohttp answers what its parser refuses (a bad request line, header, version or framing) from
``RequestHandler.handle_error``, before any middleware runs, with a text/plain body quoting the offending
bytes. Those bytes are whatever a client sent (an email in a URL, a card number in a header), so this
handler answers ``{"error": "invalid_request", "detail": ...}`` with a detail chosen by the error's type
alone. aiohttp offers no public hook for the class its servers build, hence the small ``Server`` and
``AppRunner`` subclasses (aiohttp is pinned; tests over raw sockets hold this to the contract).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from logpipe import get_logger, log_event
from webcore.request_ids import HEADER, new_request_id

log = get_logger("webcore.protocol")

# Most specific first: BadHttpMethod is a BadStatusLine, and every one of these is a BadHttpMessage.
_DETAILS: tuple[tuple[type[Exception], str], ...] = (
    (http_exceptions.BadHttpMethod, "malformed HTTP request: bad method"),
    (http_exceptions.BadStatusLine, "malformed HTTP request: bad request line or version"),
    (http_exceptions.LineTooLong, "malformed HTTP request: a request line or header is too long"),
    (http_exceptions.InvalidURLError, "malformed HTTP request: bad URL"),
    (http_exceptions.InvalidHeader, "malformed HTTP request: bad header"),
    (http_exceptions.TransferEncodingError, "malformed HTTP request: bad chunked framing"),
    (http_exceptions.ContentLengthError, "malformed HTTP request: body shorter than its Content-Length"),
    (http_exceptions.ContentEncodingError, "malformed HTTP request: bad content encoding"),
    (http_exceptions.BadHttpMessage, "malformed HTTP request: bad header or framing"),
)


def describe(exc: BaseException | None) -> str:
    """A fixed text for the kind of error; never the parser's message, which quotes the request."""
    for kind, detail in _DETAILS:
        if isinstance(exc, kind):
            return detail
    return "malformed HTTP request"


class JsonErrorRequestHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        error = type(exc).__name__ if exc is not None else None
        # No request id could be read from a request that did not parse: a fresh one ties log and answer.
        request_id = new_request_id()
        if isinstance(exc, ConnectionError):
            log_event(log, "http.client_gone", "client closed the connection", level=logging.DEBUG)
        elif status < 500:
            log_event(
                log,
                "http.bad_request",
                "malformed HTTP request refused",
                level=logging.WARNING,
                status=status,
                error=error,
                request_id=request_id,
            )
        else:
            # No traceback: an exception's text may quote what the client sent.
            log_event(
                log,
                "http.error",
                "request failed outside the handlers",
                level=logging.ERROR,
                status=status,
                error=error,
                request_id=request_id,
            )
        if request.writer.output_size > 0:
            # Part of a response is out: nothing more can be said on this connection.
            raise ConnectionError("response already started; the connection is closed")
        if status < 500:
            body = {"error": "invalid_request", "detail": describe(exc)}
        elif status == 504:
            body = {"error": "timeout", "detail": "the request took too long"}
        else:
            body = {"error": "internal_error", "detail": "internal error; see the service log"}
        resp = web.json_response(body, status=status, headers={HEADER: request_id})
        resp.force_close()
        return resp


class JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


def json_http_errors(handler: Callable[[BaseRequest], Awaitable[web.StreamResponse]]) -> Any:
    """The application's handler with aiohttp's refusals raised before the middlewares (an ``Expect`` it
    does not know: 417 with the header's value in a text body) answered in JSON, echoing nothing."""

    async def handle(request: BaseRequest) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = "expectation_failed" if exc.status == 417 else "invalid_request"
            detail = "unsupported Expect header" if exc.status == 417 else exc.reason
            resp = web.json_response({"error": code, "detail": detail}, status=exc.status)
            resp.force_close()
            return resp

    return handle


class ServiceRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer malformed HTTP in JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        kwargs: dict[str, Any] = dict(server._kwargs)
        return JsonErrorServer(
            json_http_errors(server.request_handler),
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=asyncio.get_running_loop(),
            **kwargs,
        )
