"""The status store from service_1's side (async Redis)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from celery_app import shared


async def mark_queued(store: aioredis.Redis, message_id: str, ttl: int) -> None:
    # NX: a fast worker may already have written "processing" or "done"; never step back over it.
    await store.set(shared.status_key(message_id), shared.encode_status("queued"), ex=ttl, nx=True)


async def mark_done(store: aioredis.Redis, message_id: str, result: dict[str, Any], ttl: int) -> None:
    await store.set(shared.status_key(message_id), shared.encode_status("done", result), ex=ttl)


async def get(store: aioredis.Redis, message_id: str) -> dict[str, Any] | None:
    return shared.decode_status(await store.get(shared.status_key(message_id)))
