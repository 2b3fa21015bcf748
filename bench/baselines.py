"""Baseline servers for bench/ingest.py, run as their own process: ``python -m bench.baselines KIND PORT``.

- ``bare``: an aiohttp handler that parses the JSON body and answers 202 — the ceiling of the stack.
- ``naive``: the same, plus a Celery publish called directly on the event loop — what service_1 avoids.
"""

from __future__ import annotations

import sys
import uuid

import uvloop
from aiohttp import web


def make_app(kind: str) -> web.Application:
    celery = None
    if kind == "naive":
        from celery_app.app import TASK_ANALYZE, create_celery

        celery = create_celery()

    async def post(request: web.Request) -> web.Response:
        data = await request.json()
        message_id = uuid.uuid4().hex
        if celery is not None:
            celery.send_task(TASK_ANALYZE, args=[message_id, data["text"]], task_id=message_id)
        return web.json_response({"id": message_id, "status": "queued"}, status=202)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/messages", post)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(
        make_app(sys.argv[1]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )
