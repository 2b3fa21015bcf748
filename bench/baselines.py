"""Baseline servers for bench/ingest.py, run as their own process: ``python -m bench.baselines KIND PORT``.

- ``bare``: an aiohttp + uvloop handler that parses the JSON body, makes an id and answers 202 — the
  ceiling of the stack.
- ``lpush``: the same plus one ``LPUSH`` of the body to Redis (``REDIS_URL``, one ``redis.asyncio`` client)
  before answering — the least work the contract allows (the job is in the broker before 202).
- ``naive``: the same as ``bare`` plus a Celery publish called directly on the event loop — what service_1
  avoids (kept for comparison; not in the default target list).

Nothing here imports the project except ``naive`` (Celery's app factory): the baselines stay what they are
while the services' internals change.
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import uvloop
from aiohttp import web

LPUSH_KEY = "bench:lpush"


def make_app(kind: str) -> web.Application:
    app = web.Application()
    celery = None
    if kind == "naive":
        from celery_app.config import create_celery
        from celery_app.shared import TASK_ANALYZE

        celery = create_celery()

    if kind == "lpush":
        import redis.asyncio as aioredis

        async def redis_client(app: web.Application):  # type: ignore[no-untyped-def]
            client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
            app["redis"] = client
            yield
            await client.aclose()

        app.cleanup_ctx.append(redis_client)

    async def post(request: web.Request) -> web.Response:
        body = await request.read()
        data = json.loads(body)
        message_id = uuid.uuid4().hex
        if kind == "lpush":
            await request.app["redis"].lpush(LPUSH_KEY, body)
        elif celery is not None:
            celery.send_task(TASK_ANALYZE, args=[message_id, data["text"]], task_id=message_id)
        return web.json_response(
            {"id": message_id, "status": "queued"},
            status=202,
            headers={"Location": f"/messages/{message_id}"},
        )

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_post("/messages", post)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("bare", "lpush", "naive"):
        sys.exit("usage: python -m bench.baselines bare|lpush|naive PORT")
    web.run_app(
        make_app(sys.argv[1]),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )
