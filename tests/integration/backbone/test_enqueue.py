"""The enqueue path against a real Redis: jobs of concurrent requests committed together, each request
answered only once its own job is queued; the backlog bound; a Redis that forgot the script."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from celery_app import shared
from svc1.app import create_app as create_svc1
from svc1.keys import SETTINGS
from svc1.settings import Settings as Svc1Settings
from svc2.app import create_app as create_svc2
from svc2.settings import Settings as Svc2Settings

TOKEN = "enqueue-token"
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
def make_client(
    aiohttp_client: ClientFactory, aiohttp_server: ServerFactory, redis_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Awaitable[TestClient]]:  # fmt: skip
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CELERY_QUEUE", f"enqueue-{tmp_path.name}")

    async def make(**overrides: object) -> TestClient:
        overrides.setdefault("user_rate", 0.0)
        svc2 = await aiohttp_server(create_svc2(Svc2Settings(service_token=TOKEN)))
        settings = Svc1Settings(
            redis_url=redis_url, svc2_url=str(svc2.make_url("")).rstrip("/"), service_token=TOKEN,
            report_dir=tmp_path / "reports",
        )  # fmt: skip
        return await aiohttp_client(create_svc1(dataclasses.replace(settings, **overrides)))

    return make


def queue_of(client: TestClient, tmp_path: Path) -> list[dict[str, object]]:
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    return [json.loads(raw) for raw in r.lrange(f"enqueue-{tmp_path.name}", 0, -1)]  # type: ignore[union-attr]


async def post(client: TestClient, n: int) -> tuple[int, dict[str, object], dict[str, str]]:
    resp = await client.post("/messages", json={"user": "u", "text": f"message number {n}"})
    return resp.status, await resp.json(), dict(resp.headers)


async def test_concurrent_requests_each_get_their_own_job(
    make_client: Callable[..., Awaitable[TestClient]], tmp_path: Path
) -> None:
    client = await make_client(max_backlog=0)
    answers = await asyncio.gather(*(post(client, n) for n in range(300)))
    assert {code for code, _, _ in answers} == {202}
    ids = [body["id"] for _, body, _ in answers]
    assert len(set(ids)) == 300
    queued = queue_of(client, tmp_path)
    assert sorted(m["headers"]["id"] for m in queued) == sorted(ids)  # type: ignore[index]
    # Every delivery tag is unique: kombu keys its unacked messages by it.
    assert len({m["properties"]["delivery_tag"] for m in queued}) == 300  # type: ignore[index]
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    states = {json.loads(r.get(shared.status_key(str(i))))["status"] for i in ids}  # type: ignore[arg-type]
    assert states == {"queued"}


async def test_past_the_backlog_post_answers_429_and_queues_nothing(
    make_client: Callable[..., Awaitable[TestClient]], tmp_path: Path
) -> None:
    client = await make_client(max_backlog=5, overload_retry_after=3.0)
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    stored_before = len(r.keys(shared.status_key("*")))
    # A burst far over the bound: the check and the push are one script, so exactly the bound gets in.
    answers = await asyncio.gather(*(post(client, n) for n in range(40)))
    accepted = [body for code, body, _ in answers if code == 202]
    refused = [(body, headers) for code, body, headers in answers if code == 429]
    assert len(accepted) == 5 and len(refused) == 35
    for body, headers in refused:
        assert body["error"] == "overloaded" and headers["Retry-After"] == "3"
    assert len(queue_of(client, tmp_path)) == 5
    ready = await (await client.get("/readyz")).json()
    assert ready["backlog"] == {"waiting": 5, "limit": 5}
    metrics = await (await client.get("/metrics")).text()
    assert "service_1_backlog 5.0" in metrics
    assert 'service_1_messages_total{outcome="overloaded"} 35.0' in metrics
    # The refused ids were never stored: nothing half-done.
    assert len(r.keys(shared.status_key("*"))) == stored_before + 5


async def test_a_redis_that_forgot_the_script_still_takes_the_job(
    make_client: Callable[..., Awaitable[TestClient]], tmp_path: Path
) -> None:
    client = await make_client(max_backlog=0)
    assert (await post(client, 1))[0] == 202
    redis.Redis.from_url(client.app[SETTINGS].redis_url).script_flush()
    answers = await asyncio.gather(*(post(client, n) for n in range(10)))
    assert {code for code, _, _ in answers} == {202}
    assert len(queue_of(client, tmp_path)) == 11
