"""How the Redis settings turn into URLs, transport options and clients (no server needed: nothing here
connects)."""

from __future__ import annotations

import pytest
import redis
import redis.asyncio as aioredis
from kombu import Connection

from celery_app import redisconf, sentinel_transport
from celery_app.config import create_celery
from celery_app.redisconf import RedisConf
from celery_app.settings import WorkerSettings

HA = RedisConf(sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26380)), master="ingest")


def test_settings_from_env() -> None:
    conf = RedisConf.from_env(
        {"REDIS_SENTINELS": " a:1, b , [::1]:3 ", "REDIS_SENTINEL_MASTER": "m", "REDIS_TLS_CA": "/ca.pem"}
    )
    assert conf == RedisConf(sentinels=(("a", 1), ("b", 26379), ("::1", 3)), master="m", tls_ca="/ca.pem")
    assert RedisConf.from_env({}) == RedisConf((), "mymaster", "")
    assert not RedisConf.from_env({}).uses_sentinel


@pytest.mark.parametrize("raw", ["a:notaport", ":26379"])
def test_bad_sentinel_list_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="REDIS_SENTINELS"):
        RedisConf.from_env({"REDIS_SENTINELS": raw})


def test_sentinel_wins_over_the_host_but_keeps_db_and_password() -> None:
    url = redisconf.celery_url("redis://:p%40ss@ignored:6379/3", HA)
    assert url == "sentinel://:p%40ss@10.0.0.1:26379/3;sentinel://:p%40ss@10.0.0.2:26380/3"
    assert redisconf.celery_url(url, HA) == url  # idempotent
    assert redisconf.celery_transport_options(url, HA)["master_name"] == "ingest"
    # Without sentinels nothing changes, and non-Redis brokers are never touched.
    assert redisconf.celery_url("redis://h:1/0", RedisConf()) == "redis://h:1/0"
    assert redisconf.celery_url("amqp://guest@h//", HA) == "amqp://guest@h//"
    assert redisconf.celery_transport_options("amqp://guest@h//", HA) == {}


def test_same_server_compares_where_the_urls_lead() -> None:
    assert redisconf.same_server("redis://a:1/0", "redis://a:1/0", RedisConf())
    assert not redisconf.same_server("redis://a:1/0", "redis://a:1/1", RedisConf())
    # Through Sentinel the host no longer matters, the db still does.
    assert redisconf.same_server(redisconf.celery_url("redis://x/2", HA), "redis://y/2", HA)
    assert not redisconf.same_server("redis://x/2", "redis://x/3", HA)


def test_rediss_checks_certificates_unless_told_otherwise() -> None:
    conf = RedisConf(tls_ca="/etc/ca.pem")
    assert redisconf.celery_url("rediss://h:1/0", conf) == (
        "rediss://h:1/0?ssl_cert_reqs=required&ssl_ca_certs=/etc/ca.pem"
    )
    assert "ssl_cert_reqs=none" in redisconf.celery_url("rediss://h:1/0?ssl_cert_reqs=none", conf)
    assert redisconf.celery_url("rediss://h:1/0", RedisConf()) == "rediss://h:1/0?ssl_cert_reqs=required"
    with pytest.raises(ValueError, match="not supported"):
        redisconf.celery_url("rediss://h:1/0", HA)


def test_clients_go_through_sentinel_when_configured() -> None:
    sync = redisconf.sync_client("redis://:pw@ignored/4", HA, socket_timeout=1)
    assert isinstance(sync.connection_pool, redis.sentinel.SentinelConnectionPool)
    assert sync.connection_pool.service_name == "ingest"
    kwargs = sync.connection_pool.connection_kwargs
    assert (kwargs["db"], kwargs["password"], kwargs["socket_timeout"]) == (4, "pw", 1)
    assert [
        s.connection_pool.connection_kwargs["port"] for s in sync.connection_pool.sentinel_manager.sentinels
    ] == [
        26379,
        26380,
    ]
    # The publisher is handed Celery's sentinel:// URL: it leads to the same master.
    aio = redisconf.async_client(redisconf.celery_url("redis://:pw@ignored/4", HA), HA)
    assert isinstance(aio.connection_pool, aioredis.sentinel.SentinelConnectionPool)
    assert aio.connection_pool.connection_kwargs["db"] == 4
    plain = redisconf.sync_client("rediss://h:1/0", RedisConf(tls_ca="/ca.pem"))
    assert plain.connection_pool.connection_kwargs["ssl_ca_certs"] == "/ca.pem"
    assert plain.connection_pool.connection_kwargs["ssl_cert_reqs"] == "required"


def test_celery_gets_sentinel_urls_and_master_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:pw@ignored:6379/5")
    monkeypatch.setenv("REDIS_SENTINELS", "10.0.0.1:26379,10.0.0.2:26380")
    monkeypatch.setenv("REDIS_SENTINEL_MASTER", "ingest")
    app = create_celery(WorkerSettings.from_env())
    assert app.conf.broker_url.startswith("sentinel://:pw@10.0.0.1:26379/5;")
    assert app.conf.result_backend == app.conf.broker_url
    assert app.conf.broker_transport_options["master_name"] == "ingest"
    assert app.conf.result_backend_transport_options["master_name"] == "ingest"


def test_the_fixed_sentinel_transport_survives_kombus_switch_to_the_next_url() -> None:
    sentinel_transport.install()
    conn = Connection("sentinel://10.0.0.1:26379/0;sentinel://10.0.0.2:26380/0")
    assert conn.transport_cls == "sentinel"
    assert conn.transport.__class__ is sentinel_transport.Transport
    conn.maybe_switch_next()  # what kombu does after a connection error
    assert conn.transport.__class__ is sentinel_transport.Transport
    conn.release()
