"""Both apps in-process with pytest-aiohttp, on real sockets and the suite's private Redis."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp import web
from aiohttp.test_utils import TestClient

from celery_app.config import create_celery
from celery_app.messages import TaskMessages
from celery_app.settings import WorkerSettings
from celery_app.shared import TASK_ANALYZE
from svc1.keys import SETTINGS
from svc2.app import create_app as create_svc2
from svc2.settings import Settings as Svc2Settings
from tests.integration.backbone.conftest import TOKEN, MakeSvc1

ClientFactory = Callable[[web.Application], Awaitable[TestClient]]


@pytest.fixture
async def svc2_client(aiohttp_client: ClientFactory) -> TestClient:
    return await aiohttp_client(create_svc2(Svc2Settings(service_token=TOKEN)))


async def test_service_2_errors_are_json(svc2_client: TestClient) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({}, 401, "unauthorized"),
        ({"headers": {"Authorization": f"Bearer {TOKEN}"}, "data": b"x"}, 415, "unsupported_media_type"),
        ({"headers": {"Authorization": f"Bearer {TOKEN}"}, "json": {"id": "1"}}, 400, "invalid_request"),
    ]
    for kwargs, status, code in cases:
        resp = await svc2_client.post("/process", **kwargs)
        assert resp.status == status
        assert (await resp.json())["error"] == code
    resp = await svc2_client.get("/nowhere")
    assert (resp.status, (await resp.json())["error"]) == (404, "not_found")
    resp = await svc2_client.get("/process")
    assert (resp.status, (await resp.json())["error"]) == (405, "method_not_allowed")


async def test_service_2_metrics_count_by_route_template(svc2_client: TestClient) -> None:
    await svc2_client.post("/process")
    text = await (await svc2_client.get("/metrics")).text()
    assert 'service_2_http_requests_total{method="POST",route="/process",status="401"} 1.0' in text


@pytest.fixture
async def svc1_client(make_svc1: MakeSvc1) -> TestClient:
    return await make_svc1()


async def test_async_message_is_a_celery_task_in_the_queue(svc1_client: TestClient, tmp_path: Path) -> None:
    resp = await svc1_client.post(
        "/messages", json={"user": "u", "text": "hello queue"}, headers={"X-Request-ID": "inproc-1"}
    )
    assert resp.status == 202
    message_id = (await resp.json())["id"]
    client = redis.Redis.from_url(svc1_client.app[SETTINGS].redis_url)
    raw = client.rpop(f"inproc-{tmp_path.name}")
    assert raw is not None
    envelope = json.loads(raw)
    assert envelope["headers"]["task"] == TASK_ANALYZE
    assert envelope["headers"]["id"] == message_id
    assert envelope["headers"]["request_id"] == "inproc-1"
    assert "hello queue" not in envelope["headers"]["argsrepr"]
    args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
    assert (args, kwargs) == ([message_id, "hello queue"], {})
    status = await svc1_client.get(f"/messages/{message_id}")
    assert (await status.json())["status"] == "queued"


async def test_sync_message_goes_through_service_2(svc1_client: TestClient) -> None:
    resp = await svc1_client.post("/messages", json={"user": "u", "text": "  a   b ", "mode": "sync"})
    assert resp.status == 200
    assert (await resp.json())["result"]["clean_text"] == "a b"


async def test_unknown_routes_and_methods_are_json(svc1_client: TestClient) -> None:
    resp = await svc1_client.get("/messages")
    assert (resp.status, (await resp.json())["error"]) == (405, "method_not_allowed")
    resp = await svc1_client.delete("/messages/x")
    assert resp.status == 405


def test_direct_message_matches_what_send_task_writes(redis_url: str, tmp_path: Path) -> None:
    """The in-process message must stay what Celery itself would publish: a format drift breaks here."""
    queue = f"compat-{tmp_path.name}"
    app = create_celery(dataclasses.replace(WorkerSettings.from_env(), broker_url=redis_url, queue=queue))
    client = redis.Redis.from_url(redis_url)
    try:
        app.send_task(
            TASK_ANALYZE,
            args=["id-1", "text"],
            task_id="id-1",
            headers={"request_id": "r"},
            argsrepr="a",
            retry=False,
        )
        theirs = json.loads(client.rpop(queue))  # type: ignore[arg-type]
        template = TaskMessages(app, queue, TASK_ANALYZE, header_names=["request_id"])
        ours = json.loads(
            template.render(
                "id-1", ["id-1", "text"], argsrepr="a", delivery_tag="t-1", headers={"request_id": "r"}
            )
        )
    finally:
        app.close()
    assert set(ours) == set(theirs)
    # The same JSON document (ours is written without spaces).
    assert json.loads(base64.b64decode(ours["body"])) == json.loads(base64.b64decode(theirs["body"]))
    for field in ("content-type", "content-encoding"):
        assert ours[field] == theirs[field]
    varying = {"origin"}
    assert {k: v for k, v in ours["headers"].items() if k not in varying} == {
        k: v for k, v in theirs["headers"].items() if k not in varying
    }
    same_props = ("correlation_id", "delivery_mode", "delivery_info", "priority", "body_encoding")
    assert {k: ours["properties"][k] for k in same_props} == {k: theirs["properties"][k] for k in same_props}
