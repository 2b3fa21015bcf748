"""The enqueue path against a real Redis: jobs of concurrent requests committed together, each request
answered only once its own job is queued; the backlog bound; a Redis that forgot the script."""

from __future__ import annotations

import asyncio
import json

import redis
from aiohttp.test_utils import TestClient

from celery_app import shared
from svc1.keys import SETTINGS
from tests.integration.backbone.conftest import MakeSvc1


def queue_of(client: TestClient, queue_name: str) -> list[dict[str, object]]:
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    return [json.loads(raw) for raw in r.lrange(queue_name, 0, -1)]  # type: ignore[union-attr]


async def post(client: TestClient, n: int) -> tuple[int, dict[str, object], dict[str, str]]:
    resp = await client.post("/messages", json={"user": "u", "text": f"message number {n}"})
    return resp.status, await resp.json(), dict(resp.headers)


async def test_concurrent_requests_each_get_their_own_job(make_svc1: MakeSvc1, queue_name: str) -> None:
    client = await make_svc1(max_backlog=0)
    answers = await asyncio.gather(*(post(client, n) for n in range(300)))
    assert {code for code, _, _ in answers} == {202}
    ids = [body["id"] for _, body, _ in answers]
    assert len(set(ids)) == 300
    queued = queue_of(client, queue_name)
    assert sorted(m["headers"]["id"] for m in queued) == sorted(ids)  # type: ignore[index]
    # Every delivery tag is unique: kombu keys its unacked messages by it.
    assert len({m["properties"]["delivery_tag"] for m in queued}) == 300  # type: ignore[index]
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    states = {json.loads(r.get(shared.status_key(str(i))))["status"] for i in ids}  # type: ignore[arg-type]
    assert states == {"queued"}


async def test_past_the_backlog_post_answers_429_and_queues_nothing(
    make_svc1: MakeSvc1, queue_name: str
) -> None:
    client = await make_svc1(max_backlog=5, overload_retry_after=3.0)
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    stored_before = len(r.keys(shared.status_key("*")))
    # A burst far over the bound: the check and the push are one script, so exactly the bound gets in.
    answers = await asyncio.gather(*(post(client, n) for n in range(40)))
    accepted = [body for code, body, _ in answers if code == 202]
    refused = [(body, headers) for code, body, headers in answers if code == 429]
    assert len(accepted) == 5 and len(refused) == 35
    for body, headers in refused:
        assert body["error"] == "overloaded" and headers["Retry-After"] == "3"
    assert len(queue_of(client, queue_name)) == 5
    ready = await (await client.get("/readyz")).json()
    assert ready["backlog"] == {"waiting": 5, "limit": 5}
    metrics = await (await client.get("/metrics")).text()
    assert "service_1_backlog 5.0" in metrics
    assert 'service_1_messages_total{outcome="overloaded"} 35.0' in metrics
    # The refused ids were never stored: nothing half-done.
    assert len(r.keys(shared.status_key("*"))) == stored_before + 5


async def test_a_redis_that_forgot_the_script_still_takes_the_job(
    make_svc1: MakeSvc1, queue_name: str
) -> None:
    client = await make_svc1(max_backlog=0)
    assert (await post(client, 1))[0] == 202
    redis.Redis.from_url(client.app[SETTINGS].redis_url).script_flush()
    answers = await asyncio.gather(*(post(client, n) for n in range(10)))
    assert {code for code, _, _ in answers} == {202}
    assert len(queue_of(client, queue_name)) == 11
