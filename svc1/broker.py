"""Publishing analysis jobs without blocking the event loop, failing fast while the broker is down.

On a Redis broker each job is one call of a server-side script (``ENQUEUE``): check the backlog, LPUSH the
Celery message (built from a template, ``celery_app.messages``), record the ``queued`` status — one round
trip, atomic, never a job without its status or a status without its job. The enqueues of concurrent
requests are committed together: requests append to a batch, one flusher task sends the whole batch as
one pipeline while the next batch gathers, and each request is answered once its own job is in Redis.
Any other broker (RabbitMQ) goes through Celery's ``send_task`` — blocking socket I/O — in a small thread
pool.

A publish that fails or outlasts ``timeout`` opens a short breaker: for ``retry_after`` seconds requests
get 503 at once instead of each waiting on a dead broker; the first request after it tries again, so the
service recovers by itself when the broker comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import redis.asyncio as aioredis
import redis.exceptions
from celery import Celery

from celery_app import redisconf, status
from celery_app.app import TASK_ANALYZE
from celery_app.messages import TaskMessages
from celery_app.signals import REQUEST_ID_HEADER
from webcore.ids import fresh_id

# KEYS: queue, status key. ARGV: message, status value ('' when the status lives in another Redis),
# status ttl, max backlog (0: no limit). NX: never step back over a status a fast worker already wrote.
# Returns the queue's length after the call, negated when the backlog was full and nothing was queued.
ENQUEUE = """
local depth = redis.call('LLEN', KEYS[1])
local limit = tonumber(ARGV[4])
if limit > 0 and depth >= limit then return -depth end
redis.call('LPUSH', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3], 'NX') end
return depth + 1
"""
# Most jobs one pipeline carries; a larger batch waits for the next round trip.
MAX_BATCH = 512


class BrokerUnavailable(Exception):
    pass


class BacklogFull(Exception):
    def __init__(self, depth: int) -> None:
        super().__init__(f"{depth} jobs waiting")
        self.depth = depth


@dataclass
class _Job:
    message: bytes
    status_key: str
    done: asyncio.Future[int]


class Publisher:
    """``publish`` returns once the job is in the broker. With a Redis broker that is also the status
    store, the ``queued`` status is written in the same script; ``records_status`` says so."""

    def __init__(
        self,
        celery: Celery,
        *,
        threads: int,
        timeout: float,
        retry_after: float,
        store_url: str,
        status_ttl: int,
        max_backlog: int,
        redis_client: aioredis.Redis | None = None,
    ) -> None:
        self.celery = celery
        self.timeout = timeout
        self.retry_after = retry_after
        self.queue: str = celery.conf.task_default_queue
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="publish")
        broker_url = str(celery.conf.broker_url)
        self.redis: aioredis.Redis | None = None
        self._owns_redis = False
        # A sentinel:// broker is a Redis broker too: the jobs go to the current master through our client.
        conf = redisconf.RedisConf.from_env()
        same_redis = redisconf.is_redis_url(broker_url) and redisconf.same_server(broker_url, store_url, conf)
        if redisconf.is_redis_url(broker_url):
            if redis_client is None or not same_redis:
                redis_client = redisconf.async_client(
                    broker_url, conf, socket_connect_timeout=timeout, socket_timeout=timeout
                )
                self._owns_redis = True
            self.redis = redis_client
        self.records_status = self.redis is not None and same_redis
        self.status_ttl = status_ttl
        self.max_backlog = max_backlog
        self.messages = TaskMessages(celery, self.queue, TASK_ANALYZE, header_names=[REQUEST_ID_HEADER])
        self.down_until = 0.0
        self.last_error = ""
        self.depth = 0
        self._batch: list[_Job] = []
        self._wake = asyncio.Event()
        self._script_sha = ""
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.redis is not None:
            self._flusher = asyncio.create_task(self._flush_forever(), name="publisher-flusher")

    async def publish(self, message_id: str, text: str, request_id: str | None) -> None:
        """Raises ``BacklogFull`` (nothing queued) or ``BrokerUnavailable``."""
        if time.monotonic() < self.down_until:
            raise BrokerUnavailable(self.last_error)
        try:
            # asyncio.timeout, not wait_for: no extra task per request.
            async with asyncio.timeout(self.timeout):
                await self._send(message_id, text, request_id)
        except BacklogFull:
            raise
        except Exception as exc:
            self.last_error = "publish timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.down_until = time.monotonic() + self.retry_after
            raise BrokerUnavailable(self.last_error) from exc
        self.down_until = 0.0

    async def _send(self, message_id: str, text: str, request_id: str | None) -> None:
        args = [message_id, text]
        # What the worker's own log lines show for the arguments: never the text itself.
        argsrepr = repr([message_id, f"<text: {len(text)} chars>"])
        headers = {REQUEST_ID_HEADER: request_id}
        if self.redis is None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(
                self.executor,
                lambda: self.celery.send_task(
                    TASK_ANALYZE,
                    args=args,
                    task_id=message_id,
                    headers=headers,
                    argsrepr=argsrepr,
                    retry=False,
                ),
            )
            return
        message = self.messages.render(
            message_id, args, argsrepr=argsrepr, delivery_tag=fresh_id(), headers=headers
        )
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._batch.append(_Job(message, status.key(message_id), done))
        self._wake.set()
        depth = await done
        if depth < 0:
            raise BacklogFull(-depth)

    # -- the flusher: one pipeline per batch, one batch in flight --------------------------------------
    async def _flush_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._batch:
                batch, self._batch = self._batch[:MAX_BATCH], self._batch[MAX_BATCH:]
                await self._flush(batch)

    async def _flush(self, batch: list[_Job]) -> None:
        try:
            results = await self._run_scripts(batch)
        except Exception as exc:
            for job in batch:
                if not job.done.done():
                    job.done.set_exception(exc)
            return
        for job, result in zip(batch, results, strict=True):
            if job.done.done():
                continue  # its request already gave up (timeout): the job stands, as a late write would
            if isinstance(result, Exception):
                job.done.set_exception(result)
            else:
                self.depth = abs(int(result))
                job.done.set_result(int(result))

    async def _run_scripts(self, batch: list[_Job]) -> list[object]:
        assert self.redis is not None
        if not self._script_sha:
            self._script_sha = await self.redis.script_load(ENQUEUE)
        status_value = status.encode("queued") if self.records_status else ""
        for attempt in range(2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for job in batch:
                    pipe.evalsha(
                        self._script_sha, 2, self.queue, job.status_key, job.message, status_value,
                        self.status_ttl, self.max_backlog,
                    )  # fmt: skip
                results: list[object] = await pipe.execute(raise_on_error=False)
            if attempt == 0 and any(isinstance(r, redis.exceptions.NoScriptError) for r in results):
                # Redis restarted (or flushed its scripts) since the script was loaded: load it again.
                self._script_sha = await self.redis.script_load(ENQUEUE)
                continue
            return results
        return results

    async def backlog(self) -> int:
        """Jobs waiting in the queue (for /readyz and /metrics)."""
        if self.redis is None:
            return self.depth
        self.depth = int(await asyncio.wait_for(self.redis.llen(self.queue), self.timeout * 2))
        return self.depth

    def _probe(self) -> None:
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=self.timeout)
            conn.default_channel  # noqa: B018  opening a channel proves the broker answers

    async def check(self) -> str | None:
        """None when the broker answers, else why not (for /readyz)."""
        try:
            if self.redis is not None:
                await asyncio.wait_for(self.redis.ping(), self.timeout * 2)
            else:
                loop = asyncio.get_running_loop()
                await asyncio.wait_for(loop.run_in_executor(self.executor, self._probe), self.timeout * 2)
        except Exception as exc:
            return "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        self.down_until = 0.0
        return None

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        for job in self._batch:
            if not job.done.done():
                job.done.set_exception(BrokerUnavailable("service stopping"))
        if self.redis is not None and self._owns_redis:
            await self.redis.aclose()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.celery.close()
