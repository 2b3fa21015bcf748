"""Request handlers: parse and validate, hand the file work to the reader pool, answer JSON."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from logview.keys import ALERTS, EXECUTOR, METRICS, SETTINGS, TAILER
from logview.reader import CursorError, Query, facets, per_minute, read_page
from logview.redact import redact
from logview.tail import CLOSE, OVERFLOW
from webcore.errors import ApiError

STATIC = Path(__file__).parent / "static"
MAX_PARAM = 256
KEEPALIVE = 15.0  # seconds between SSE comments, below the idle timeouts of common proxies


def _param(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if len(value) > MAX_PARAM:
        raise ApiError(400, "invalid_request", f"{name} is longer than {MAX_PARAM} characters")
    return value


def parse_query(request: web.Request) -> Query:
    return Query(
        q=_param(request, "q"),
        service=_param(request, "service"),
        level=_param(request, "level"),
        event=_param(request, "event"),
        request_id=_param(request, "request_id"),
    )


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_request", f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, "invalid_request", f"{name} must be between {low} and {high}")
    return value


async def _blocking(request: web.Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[EXECUTOR], functools.partial(fn, *args, **kwargs))


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def favicon(request: web.Request) -> web.Response:
    # Browsers ask for it on every visit; a 404 would put a warning in the log this page shows.
    return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    return request.app[METRICS].render()


def _page(
    root: Path, query: Query, limit: int, cursor: str | None, budget: int, seconds: float
) -> dict[str, Any]:
    page = read_page(root, query, limit, cursor, budget, seconds)
    return {
        "records": [redact(r) for r in page.records],
        "next_cursor": page.cursor,
        "partial": page.partial,
        "scanned_bytes": page.scanned_bytes,
        "files": page.files,
    }


async def api_logs(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    query = parse_query(request)
    limit = _int(request, "limit", 100, 1, settings.max_limit)
    cursor = request.query.get("cursor") or None
    try:
        body = await _blocking(
            request,
            _page,
            settings.central_dir,
            query,
            limit,
            cursor,
            settings.scan_budget,
            settings.scan_seconds,
        )
    except CursorError as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from None
    body["limit"] = limit
    return web.json_response(body)


async def api_alerts(request: web.Request) -> web.Response:
    snapshot = await _blocking(request, request.app[ALERTS].refresh)
    return web.json_response(snapshot)


async def api_stats(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    minutes = _int(request, "minutes", 60, 1, 24 * 60)
    query = parse_query(request)
    body = await _blocking(request, per_minute, settings.central_dir, query, minutes, 64 * 1024 * 1024)
    return web.json_response(body)


async def api_facets(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await _blocking(request, facets, settings.central_dir, 16 * 1024 * 1024, 2 * 1024 * 1024)
    return web.json_response(body)


def _sse(event: str, data: Any) -> bytes:
    # json.dumps escapes newlines, so a record can never end the event early or forge another one.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def api_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``record`` for each new matching record, ``overflow`` when records were lost."""
    query = parse_query(request)
    tailer = request.app[TAILER]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a reverse proxy must not hold events back
        }
    )
    queue = tailer.subscribe()
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n" + _sse("ready", {"filters": query.empty is False}))
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if item is CLOSE:
                break
            if item is OVERFLOW:
                await response.write(_sse("overflow", {"detail": "records were dropped; reload"}))
                continue
            if query.matches(item):
                await response.write(_sse("record", item))
    except (ConnectionResetError, ConnectionError):
        pass  # the browser went away; nothing to tell it
    finally:
        tailer.unsubscribe(queue)
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response
