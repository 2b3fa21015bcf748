"""service_1 and service_2 in-process on real sockets, with the suite's private Redis and a queue per test."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from svc1.app import create_app as create_svc1
from svc1.settings import Settings as Svc1Settings
from svc2.app import create_app as create_svc2
from svc2.settings import Settings as Svc2Settings

TOKEN = "in-process-token"
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
MakeSvc1 = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def queue_name(tmp_path: Path) -> str:
    return f"inproc-{tmp_path.name}"


@pytest.fixture
def make_svc1(
    aiohttp_client: ClientFactory,
    aiohttp_server: ServerFactory,
    redis_url: str,
    tmp_path: Path,
    queue_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> MakeSvc1:
    """Builds service_1 (settings overridable, the per-user limit off unless asked) in front of a real
    service_2; ``client.svc2`` is that server."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CELERY_QUEUE", queue_name)

    async def make(**overrides: object) -> TestClient:
        svc2 = await aiohttp_server(create_svc2(Svc2Settings(service_token=TOKEN)))
        settings = Svc1Settings(
            redis_url=redis_url,
            svc2_url=str(svc2.make_url("")).rstrip("/"),
            service_token=TOKEN,
            report_dir=tmp_path / "reports",
            user_rate=0.0,
        )
        client = await aiohttp_client(create_svc1(dataclasses.replace(settings, **overrides)))
        client.svc2 = svc2  # type: ignore[attr-defined]
        return client

    return make
