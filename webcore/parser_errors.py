"""aiohttp's own HTTP parser logs a malformed request with a traceback quoting the raw bytes (a header
line, a URL): those bytes may be anything a client sent. This filter keeps the fact and the error type."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

_CLIENTS_FAULT = (HttpProcessingError, web.RequestPayloadError, ConnectionError)


class RedactParserErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = type(record.exc_info[1]).__name__
            if isinstance(record.exc_info[1], _CLIENTS_FAULT) and record.levelno > logging.WARNING:
                # What a client sent wrong is a warning about the client, not an error of the service.
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = None
            record.exc_text = None
            record.msg = f"malformed HTTP request ({error})"
            record.args = None
            record.__dict__.setdefault("event", "http.bad_request")
        return True


def redact_parser_errors() -> None:
    for name in ("aiohttp.server", "aiohttp.web", "aiohttp.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactParserErrors) for f in logger.filters):
            logger.addFilter(RedactParserErrors())
