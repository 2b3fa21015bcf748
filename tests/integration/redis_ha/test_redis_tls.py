"""Managed Redis: the broker, the status store and the result backend over TLS (``rediss://``) only.

A throwaway CA signs the server's certificate; the Redis listens on TLS alone (``--port 0``), so nothing
could have worked over plain TCP. ``REDIS_TLS_CA`` names the CA; certificates are checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from celery_app import redisconf
from celery_app.config import create_celery
from celery_app.redisconf import RedisConf
from celery_app.settings import WorkerSettings
from tests.support.redis_ha import TlsRedis, TlsUnsupported, tls_redis
from tests.support.stack import make_stack


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[TlsRedis]:
    try:
        with tls_redis(tmp_path / "tls") as server:
            yield server
    except TlsUnsupported as exc:
        pytest.skip(f"this redis-server has no TLS: {exc}")


def test_a_client_without_the_ca_is_refused(tls: TlsRedis) -> None:
    unchecked = redisconf.sync_client(tls.url, RedisConf(), socket_timeout=2, socket_connect_timeout=2)
    with pytest.raises(redis.ConnectionError, match=r"(?i)certificate"):
        unchecked.ping()
    checked = redisconf.sync_client(tls.url, RedisConf(tls_ca=str(tls.ca_file)), socket_timeout=2)
    assert checked.ping()
    checked.close()
    unchecked.close()


def test_the_stack_works_end_to_end_over_tls(tmp_path: Path, tls: TlsRedis) -> None:
    stack = make_stack(tmp_path, tls.url, REDIS_TLS_CA=str(tls.ca_file))
    try:
        stack.start_svc2()
        stack.start_svc1()
        stack.start_worker(1)
        code, _, body = stack.post({"user": "u", "text": "hello over tls"})
        assert code == 202, body
        done = stack.wait_status(body["id"], "done")
        assert done["result"]["words"] == 3
        code, _, body = stack.post({"user": "u", "text": "and in sync mode", "mode": "sync"})
        assert code == 200, body
        assert stack.get(f"/messages/{body['id']}")[0] == 200
        assert stack.get("/readyz")[0] == 200
    finally:
        stack.stop()
    # The job and its status went through this TLS server: they are in it.
    client = redisconf.sync_client(tls.url, RedisConf(tls_ca=str(tls.ca_file)), socket_timeout=2)
    try:
        assert client.exists(f"ingest:message:{done['id']}")
    finally:
        client.close()


def test_the_result_backend_over_tls(tls: TlsRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", tls.url)
    monkeypatch.setenv("REDIS_TLS_CA", str(tls.ca_file))
    monkeypatch.delenv("REDIS_SENTINELS", raising=False)
    app = create_celery(WorkerSettings.from_env())
    try:
        # Celery's own Redis backend class, over its own TLS connection: a result stored and read back.
        app.backend.store_result("tls-check", {"ok": True}, "SUCCESS")
        assert app.AsyncResult("tls-check").get(timeout=5) == {"ok": True}
        assert (
            app.backend.client.connection_pool.connection_kwargs["ssl_ca_certs"] == os.environ["REDIS_TLS_CA"]
        )
        # And the broker, through kombu: a connection that answers.
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
            assert conn.transport.driver_type == "redis" and conn.ssl
    finally:
        app.close()
