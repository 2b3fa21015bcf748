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
import inspect
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
import redis.exceptions
from celery import Celery

from celery_app import redisconf, shared
from celery_app.messages import TaskMessages
from celery_app.shared import REQUEST_ID_HEADER, TASK_ANALYZE
from svc1.admission import IDEM_CHECK, RATE_CHECK, REPEAT, Admission
from webcore.ids import fresh_id

# KEYS: queue, status key, idempotency key ('' for none), user's rate key.
# ARGV: message, status value ('' when the status lives in another Redis), status ttl, max backlog
# (0: no limit), body hash, rate interval µs (0: no limit), burst, idempotency record, its ttl.
# Returns {1, queue length} when queued; a refusal code of svc1.admission, or {BACKLOG_FULL, length},
# with nothing changed. SET NX: never step back over a status a fast worker already wrote.
ENQUEUE = (
    IDEM_CHECK
    + RATE_CHECK
    + """
local refused = idem_check(KEYS[3], ARGV[5])
if refused then return refused end
local depth = redis.call('LLEN', KEYS[1])
local limit = tonumber(ARGV[4])
if limit > 0 and depth >= limit then return {6, depth} end
refused = rate_check(KEYS[4], tonumber(ARGV[6]), tonumber(ARGV[7]))
if refused then return refused end
redis.call('LPUSH', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3], 'NX') end
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[8], 'EX', ARGV[9]) end
return {1, depth + 1}
"""
)
QUEUED, BACKLOG_FULL = 1, 6
T = TypeVar("T")
# Most jobs one pipeline carries; a larger batch waits for the next round trip.
MAX_BATCH = 512
REPLICAS_CHECK_SECONDS = 5.0


def _awaitable(result: Awaitable[T] | T) -> Awaitable[T]:
    """redis-py types a command for both clients (``Awaitable[T] | T``); the async client's are awaitable."""
    assert inspect.isawaitable(result)
    return result


class BrokerUnavailable(Exception):
    pass


class BacklogFull(Exception):
    def __init__(self, depth: int) -> None:
        super().__init__(f"{depth} jobs waiting")
        self.depth = depth


class Refused(Exception):
    """The admission checks refused the job (``svc1.admission`` codes): nothing was queued."""

    def __init__(self, code: int, value: Any) -> None:
        super().__init__(f"refused ({code})")
        self.code = code
        self.value = value


class NotReplicated(Exception):
    """The job is on the master but no replica confirmed it within the publish timeout."""


NO_ADMISSION = Admission(idem_key="", body_hash="", rate_key="", interval_us=0, burst=1)


@dataclass
class _Job:
    message: bytes
    status_key: str
    admission: Admission
    answer: str
    done: asyncio.Future[list[Any]]


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
        idempotency_ttl: int = 24 * 3600,
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
        self.idempotency_ttl = idempotency_ttl
        # Replicas the master had when last asked (INFO replication): with any, a 202 waits for one.
        self.replicas = 0
        self._replicas_checked = 0.0
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

    @property
    def admits(self) -> bool:
        """Whether ``publish`` runs the admission checks itself (in the enqueue script)."""
        return self.redis is not None

    async def publish(
        self,
        message_id: str,
        text: str,
        request_id: str | None,
        admission: Admission = NO_ADMISSION,
        answer: str = "",
    ) -> str | None:
        """Queues the job; returns None, or the first answer's JSON when this is an idempotent repeat.

        With a Redis broker the admission checks run in the same script, and ``answer`` (the idempotency
        record of the 202) is stored with the job. Raises ``Refused`` or ``BacklogFull`` (nothing queued),
        ``BrokerUnavailable`` (nothing known to be queued: a timed-out write may still land).
        """
        if time.monotonic() < self.down_until:
            raise BrokerUnavailable(self.last_error)
        try:
            # No timer per request: the flusher bounds each batch's round trip by the publish timeout.
            result = await self._send(message_id, text, request_id, admission, answer)
        except (BacklogFull, Refused):
            raise
        except Exception as exc:
            self.last_error = "publish timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.down_until = time.monotonic() + self.retry_after
            raise BrokerUnavailable(self.last_error) from exc
        self.down_until = 0.0
        return result

    async def _send(
        self, message_id: str, text: str, request_id: str | None, admission: Admission, answer: str
    ) -> str | None:
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
            return None
        message = self.messages.render(
            message_id, args, argsrepr=argsrepr, delivery_tag=fresh_id(), headers=headers
        )
        done: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._batch.append(_Job(message, shared.status_key(message_id), admission, answer, done))
        self._wake.set()
        code, value = await done
        if code == QUEUED:
            return None
        if code == BACKLOG_FULL:
            raise BacklogFull(int(value))
        if code == REPEAT:
            return value.decode() if isinstance(value, bytes) else str(value)
        raise Refused(int(code), value)

    # -- the flusher: one pipeline per batch, one batch in flight --------------------------------------
    async def _flush_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._batch:
                batch, self._batch = self._batch[:MAX_BATCH], self._batch[MAX_BATCH:]
                try:
                    await self._flush(batch)
                except Exception as exc:
                    # Never let the flusher die: every request waiting on a job would wait forever.
                    for job in batch:
                        if not job.done.done():
                            job.done.set_exception(exc)

    async def _flush(self, batch: list[_Job]) -> None:
        try:
            if time.monotonic() < self.down_until:
                # Jobs that gathered while the batch before them failed: fail them at once too.
                raise BrokerUnavailable(self.last_error)
            async with asyncio.timeout(self.timeout):
                results, replicated = await self._run_scripts(batch)
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
                continue
            code, value = int(result[0]), result[1]
            if code == QUEUED:
                self.depth = int(value)
                if not replicated:
                    job.done.set_exception(NotReplicated("no replica confirmed the job in time"))
                    continue
            elif code == BACKLOG_FULL:
                self.depth = int(value)
            job.done.set_result([code, value])

    async def _run_scripts(self, batch: list[_Job]) -> tuple[list[Any], bool]:
        """The scripts' answers, and whether a replica confirmed them (True when there is none to ask)."""
        assert self.redis is not None
        if not self._script_sha:
            self._script_sha = await self.redis.script_load(ENQUEUE)
        await self._check_replicas()
        status_value = shared.encode_status("queued") if self.records_status else ""
        for attempt in range(2):
            async with self.redis.pipeline(transaction=False) as pipe:
                for job in batch:
                    adm = job.admission
                    pipe.evalsha(
                        self._script_sha,
                        4,
                        self.queue,
                        job.status_key,
                        adm.idem_key,
                        adm.rate_key,
                        job.message,
                        status_value,
                        self.status_ttl,
                        self.max_backlog,
                        adm.body_hash,
                        adm.interval_us,
                        adm.burst,
                        job.answer,
                        self.idempotency_ttl,
                    )
                if self.replicas:
                    # WAIT covers every write of this connection so far: one per batch, not per job.
                    pipe.execute_command("WAIT", 1, max(1, int(self.timeout * 800)))
                results: list[Any] = await pipe.execute(raise_on_error=False)
            if attempt == 0 and any(isinstance(r, redis.exceptions.NoScriptError) for r in results):
                # Redis restarted (or flushed its scripts) since the script was loaded: load it again.
                self._script_sha = await self.redis.script_load(ENQUEUE)
                continue
            break
        if self.replicas:
            acked = results.pop()
            return results, isinstance(acked, int) and acked >= 1
        return results, True

    async def _check_replicas(self) -> None:
        """Asks the master how many replicas it has, at most every few seconds (they come and go)."""
        assert self.redis is not None
        now = time.monotonic()
        if now - self._replicas_checked < REPLICAS_CHECK_SECONDS:
            return
        self._replicas_checked = now
        try:
            info = await self.redis.info("replication")
        except redis.exceptions.ResponseError:
            return  # INFO disabled (some managed Redis): no replicas known, no WAIT
        # Only replicas that finished their first sync confirm writes; one still syncing would make WAIT
        # time out on every batch.
        self.replicas = sum(
            1
            for name, value in info.items()
            if name.startswith("slave") and isinstance(value, dict) and value.get("state") == "online"
        )

    async def backlog(self) -> int:
        """Jobs waiting in the queue (for /readyz and /metrics)."""
        if self.redis is None:
            return self.depth
        length = await asyncio.wait_for(_awaitable(self.redis.llen(self.queue)), self.timeout * 2)
        self.depth = int(length)
        return self.depth

    def _probe(self) -> None:
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=self.timeout)
            conn.default_channel  # noqa: B018  opening a channel proves the broker answers

    async def check(self) -> str | None:
        """None when the broker answers, else why not (for /readyz)."""
        try:
            if self.redis is not None:
                await asyncio.wait_for(_awaitable(self.redis.ping()), self.timeout * 2)
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
