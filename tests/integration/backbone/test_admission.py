"""Per-user rate limits across replicas and idempotent retries, against a real Redis and real processes."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from aiohttp.test_utils import TestClient

from harness.procs import PYTHON, free_port, http_status, start, wait_until
from svc1.keys import SETTINGS
from tests.integration.backbone.conftest import MakeSvc1
from tests.support.stack import Stack, request


def test_a_flooding_user_is_limited_across_every_replica_and_others_are_served(stack: Stack) -> None:
    stack.env.update(USER_RATE="1", USER_BURST="4")
    stack.start_svc2()
    stack.start_svc1()
    second_port = free_port()
    second = start(
        "service_1-2",
        [PYTHON, "-m", "svc1"],
        env={**stack.env, "SVC1_PORT": str(second_port)},
        workdir=stack.workdir / "out2",
    )
    stack.procs["service_1-2"] = second
    second_url = f"http://127.0.0.1:{second_port}"
    wait_until(lambda: http_status(f"{second_url}/healthz") == 200, timeout=20)

    def post(url: str, user: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        data = json.dumps({"user": user, "text": "one more message"}).encode()
        req = urllib.request.Request(
            f"{url}/messages", data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        return request(req, 10)

    with ThreadPoolExecutor(8) as pool:
        flood = list(pool.map(lambda i: post(stack.svc1_url if i % 2 else second_url, "flood"), range(16)))
    accepted = [a for a in flood if a[0] == 202]
    limited = [a for a in flood if a[0] == 429]
    # The burst is shared by both replicas (plus what refills while the requests run: one a second).
    assert 4 <= len(accepted) <= 6, [a[0] for a in flood]
    assert len(accepted) + len(limited) == 16
    for _, headers, body in limited:
        assert body["error"] == "rate_limited" and int(headers["Retry-After"]) >= 1
    assert post(stack.svc1_url, "calm")[0] == 202
    assert post(second_url, "calm")[0] == 202
    # Counted, not reported: no alert report per refused request.
    assert not list(stack.report_dir.glob("*.json"))
    with urllib.request.urlopen(f"{stack.svc1_url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert 'service_1_messages_total{outcome="rate_limited"}' in text
    # The user is keyed by a hash: the name is in no Redis key.
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    assert not [k for k in client.keys("*") if b"flood" in k]


async def post(
    client: TestClient, key: str | None, text: str = "the same message", mode: str = "async"
) -> tuple[int, dict[str, Any]]:
    headers = {"Idempotency-Key": key} if key is not None else {}
    resp = await client.post("/messages", json={"user": "u", "text": text, "mode": mode}, headers=headers)
    return resp.status, await resp.json()


def queue_length(client: TestClient, queue_name: str) -> int:
    return int(redis.Redis.from_url(client.app[SETTINGS].redis_url).llen(queue_name))  # type: ignore[arg-type]


async def test_a_repeat_gets_the_first_answer_and_queues_nothing(
    make_svc1: MakeSvc1, queue_name: str
) -> None:
    client = await make_svc1()
    first = await post(client, "order-7:try")
    assert first[0] == 202
    assert await post(client, "order-7:try") == first
    assert queue_length(client, queue_name) == 1
    # Racing repeats: every one answered with the first's id, one job in all.
    answers = await asyncio.gather(*(post(client, "race-key") for _ in range(25)))
    assert {a[0] for a in answers} == {202}
    assert len({a[1]["id"] for a in answers}) == 1
    assert queue_length(client, queue_name) == 2
    code, body = await post(client, "race-key", text="another body")
    assert (code, body["error"]) == (409, "idempotency_conflict")
    assert queue_length(client, queue_name) == 2


async def test_sync_repeats_are_forwarded_once(make_svc1: MakeSvc1) -> None:
    client = await make_svc1()
    answers = await asyncio.gather(*(post(client, "sync-key", mode="sync") for _ in range(8)))
    assert {a[0] for a in answers} == {200}
    assert len({a[1]["id"] for a in answers}) == 1
    svc2 = client.svc2  # type: ignore[attr-defined]
    async with client.session.get(svc2.make_url("/metrics")) as resp:
        text = await resp.text()
    assert 'service_2_http_requests_total{method="POST",route="/process",status="200"} 1.0' in text


async def test_keys_are_checked_and_stored_hashed(make_svc1: MakeSvc1, queue_name: str) -> None:
    client = await make_svc1()
    for bad in ["", "x" * 129, "has space", "4111111111111111"]:
        code, body = await post(client, bad)
        assert (code, body["error"]) == (400, "invalid_request"), bad
    key = "visible-canary-key-123"
    assert (await post(client, key))[0] == 202
    r = redis.Redis.from_url(client.app[SETTINGS].redis_url)
    for k in r.keys("*"):
        assert key.encode() not in k
        if r.type(k) == b"string":
            assert key.encode() not in (r.get(k) or b"")
