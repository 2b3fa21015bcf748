"""The status store from service_1's side (async Redis)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from celery_app import status


async def mark_queued(store: aioredis.Redis, message_id: str, ttl: int) -> None:
    # NX: a fast worker may already have written "processing" or "done"; never step back over it.
    await store.set(status.key(message_id), status.encode("queued"), ex=ttl, nx=True)


async def mark_done(store: aioredis.Redis, message_id: str, result: dict[str, Any], ttl: int) -> None:
    await store.set(status.key(message_id), status.encode("done", result), ex=ttl)


async def get(store: aioredis.Redis, message_id: str) -> dict[str, Any] | None:
    return status.decode(await store.get(status.key(message_id)))
