"""Where every user of Redis gets its connection: one server by URL, over TLS, or the master Sentinel names.

service_1's status store and publisher, the Celery broker and result backend, and the workers' status store
all come through here, so a setting means the same thing everywhere:

- ``REDIS_SENTINELS=host:port[,host:port…]`` and ``REDIS_SENTINEL_MASTER`` (default ``mymaster``): the host of
  every ``redis://`` URL is replaced by the master the sentinels name, asked again after a failover; the
  URL's db number, user and password still apply. Celery gets kombu's ``sentinel://`` URLs and
  ``master_name``; the clients are redis-py's ``Sentinel(...).master_for(...)``.
- ``rediss://`` URLs are TLS with certificate checks on: ``ssl_cert_reqs=required`` unless the URL says
  otherwise, and ``REDIS_TLS_CA`` (a CA file) as ``ssl_ca_certs`` unless the URL names one. The parameters
  live in the URL because kombu, Celery's backend and redis-py all read them from there.

Importing this module builds nothing; a client exists only once a factory is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel

DEFAULT_MASTER = "mymaster"
SENTINEL_PORT = 26379
# How long a question to a sentinel may take: it answers from memory, so a slow one is as good as gone.
SENTINEL_TIMEOUT = 0.5


@dataclass(frozen=True, slots=True)
class RedisConf:
    sentinels: tuple[tuple[str, int], ...] = ()
    master: str = DEFAULT_MASTER
    tls_ca: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RedisConf:
        env = os.environ if env is None else env
        return cls(
            sentinels=parse_sentinels(env.get("REDIS_SENTINELS", "")),
            master=(env.get("REDIS_SENTINEL_MASTER") or DEFAULT_MASTER).strip(),
            tls_ca=env.get("REDIS_TLS_CA", "").strip(),
        )

    @property
    def uses_sentinel(self) -> bool:
        return bool(self.sentinels)


def parse_sentinels(raw: str) -> tuple[tuple[str, int], ...]:
    """``"a:26379, b:26380, [::1]:26381"`` → ``(("a", 26379), ("b", 26380), ("::1", 26381))``."""
    out: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(f"//{item}")
        try:
            port = parts.port or SENTINEL_PORT
        except ValueError:
            raise ValueError(f"REDIS_SENTINELS: bad port in {item!r}") from None
        if not parts.hostname:
            raise ValueError(f"REDIS_SENTINELS: no host in {item!r}")
        out.append((parts.hostname, port))
    return tuple(out)


def is_redis_url(url: str) -> bool:
    """A URL for a Redis, directly or through Sentinel (a Redis broker either way)."""
    return url.startswith(("redis://", "rediss://", "unix://", "sentinel://"))


def with_tls_defaults(url: str, conf: RedisConf) -> str:
    """A ``rediss://`` URL with certificate checks on and the CA file named, unless it says otherwise."""
    if not url.startswith("rediss://"):
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("ssl_cert_reqs", "required")
    if conf.tls_ca:
        query.setdefault("ssl_ca_certs", conf.tls_ca)
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


def _sentinel_applies(url: str, conf: RedisConf) -> bool:
    if not conf.uses_sentinel or not url.startswith(("redis://", "rediss://")):
        return False
    if url.startswith("rediss://"):
        # The sentinel transport of kombu and Celery's sentinel backend each want TLS set up another way;
        # refusing is better than a connection that is silently not what the operator asked for.
        raise ValueError("REDIS_SENTINELS with a rediss:// URL is not supported: use redis:// with Sentinel")
    return True


def celery_url(url: str, conf: RedisConf) -> str:
    """The broker or result backend URL Celery is given: kombu's ``sentinel://`` list when Sentinel
    applies, else the URL itself (TLS defaults added). Idempotent."""
    if not _sentinel_applies(url, conf):
        return with_tls_defaults(url, conf)
    parts = urlsplit(url)
    auth = ""
    if parts.username or parts.password:
        auth = quote(unquote(parts.username or ""), safe="")
        if parts.password is not None:
            auth += ":" + quote(unquote(parts.password), safe="")
        auth += "@"
    db = parts.path.strip("/") or "0"
    return ";".join(f"sentinel://{auth}{_host(h)}:{p}/{db}" for h, p in conf.sentinels)


def celery_transport_options(url: str, conf: RedisConf) -> dict[str, Any]:
    """What the broker's or the backend's transport options need beyond the URL."""
    if not celery_url(url, conf).startswith("sentinel://"):
        return {}
    timeouts = {"socket_timeout": SENTINEL_TIMEOUT, "socket_connect_timeout": SENTINEL_TIMEOUT}
    return {"master_name": conf.master, "sentinel_kwargs": timeouts}


def same_server(a: str, b: str, conf: RedisConf) -> bool:
    """Whether two URLs reach the same Redis database (one client can serve both)."""
    return celery_url(a, conf) == celery_url(b, conf)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True, slots=True)
class _SentinelTarget:
    sentinels: list[tuple[str, int]]
    master: str
    connection: dict[str, Any]


def _sentinel_target(url: str, conf: RedisConf) -> _SentinelTarget | None:
    """Where to ask for the master and how to talk to it, or None for a URL without Sentinel."""
    url = celery_url(url, conf)
    if not url.startswith("sentinel://"):
        return None
    chunks = [urlsplit(chunk) for chunk in url.split(";") if chunk]
    first = chunks[0]
    connection: dict[str, Any] = {"db": int(first.path.strip("/") or 0)}
    if first.username:
        connection["username"] = unquote(first.username)
    if first.password:
        connection["password"] = unquote(first.password)
    sentinels = [(c.hostname or "127.0.0.1", c.port or SENTINEL_PORT) for c in chunks]
    return _SentinelTarget(sentinels, conf.master, connection)


def _sentinel_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    timeout = min(SENTINEL_TIMEOUT, kwargs.get("socket_timeout") or SENTINEL_TIMEOUT)
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def sync_client(url: str, conf: RedisConf | None = None, **kwargs: Any) -> redis.Redis:
    """A blocking client for ``url``; with Sentinel it follows the master through a failover."""
    conf = RedisConf.from_env() if conf is None else conf
    target = _sentinel_target(url, conf)
    if target is None:
        return redis.Redis.from_url(with_tls_defaults(url, conf), **kwargs)
    # redis-py's sentinel module has no annotations: master_for returns a redis.Redis.
    sentinel = redis.sentinel.Sentinel(  # type: ignore[no-untyped-call]
        target.sentinels, sentinel_kwargs=_sentinel_kwargs(kwargs)
    )
    client = sentinel.master_for(target.master, **{**target.connection, **kwargs})  # type: ignore[no-untyped-call]
    return cast(redis.Redis, client)


def async_client(url: str, conf: RedisConf | None = None, **kwargs: Any) -> aioredis.Redis:
    """The asyncio client for ``url``; with Sentinel it follows the master through a failover."""
    conf = RedisConf.from_env() if conf is None else conf
    target = _sentinel_target(url, conf)
    if target is None:
        return cast(aioredis.Redis, aioredis.Redis.from_url(with_tls_defaults(url, conf), **kwargs))
    sentinel = aiosentinel.Sentinel(  # type: ignore[no-untyped-call]
        target.sentinels, sentinel_kwargs=_sentinel_kwargs(kwargs)
    )
    client = sentinel.master_for(target.master, **{**target.connection, **kwargs})
    return cast(aioredis.Redis, client)
