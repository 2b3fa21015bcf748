"""Publishing analysis jobs without blocking the event loop, failing fast while the broker is down.

On a Redis broker the job message is built in-process (``celery_app.messages``) and pushed with the async
Redis client: no thread, no kombu machinery on the request path. Any other broker (RabbitMQ) goes through
Celery's ``send_task`` — blocking socket I/O — in a small thread pool.

A publish that fails or outlasts ``timeout`` opens a short breaker: for ``retry_after`` seconds requests
get 503 at once instead of each waiting on a dead broker; the first request after it tries again, so the
service recovers by itself when the broker comes back.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import redis.asyncio as aioredis
from celery import Celery

from celery_app import status
from celery_app.app import TASK_ANALYZE
from celery_app.messages import is_redis_broker, redis_task_message
from celery_app.signals import REQUEST_ID_HEADER


class BrokerUnavailable(Exception):
    pass


class Publisher:
    """``publish`` returns True when it also recorded the ``queued`` status: when the broker is the status
    store's Redis, the job and its status go in one transaction (one round trip, never one without the
    other)."""

    def __init__(
        self,
        celery: Celery,
        *,
        threads: int,
        timeout: float,
        retry_after: float,
        store_url: str,
        status_ttl: int,
    ) -> None:
        self.celery = celery
        self.timeout = timeout
        self.retry_after = retry_after
        self.queue: str = celery.conf.task_default_queue
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="publish")
        broker_url = str(celery.conf.broker_url)
        self.redis: aioredis.Redis | None = (
            aioredis.Redis.from_url(broker_url, socket_connect_timeout=timeout, socket_timeout=timeout)
            if is_redis_broker(broker_url)
            else None
        )
        self.records_status = self.redis is not None and broker_url == store_url
        self.status_ttl = status_ttl
        self.down_until = 0.0
        self.last_error = ""

    async def publish(self, message_id: str, text: str, request_id: str | None) -> bool:
        if time.monotonic() < self.down_until:
            raise BrokerUnavailable(self.last_error)
        try:
            await asyncio.wait_for(self._send(message_id, text, request_id), self.timeout)
        except Exception as exc:
            self.last_error = "publish timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.down_until = time.monotonic() + self.retry_after
            raise BrokerUnavailable(self.last_error) from exc
        self.down_until = 0.0
        return self.records_status

    async def _send(self, message_id: str, text: str, request_id: str | None) -> None:
        args = [message_id, text]
        # What the worker's own log lines show for the arguments: never the text itself.
        argsrepr = repr([message_id, f"<text: {len(text)} chars>"])
        headers = {REQUEST_ID_HEADER: request_id}
        if self.redis is not None:
            message = redis_task_message(
                self.celery, self.queue, TASK_ANALYZE, message_id, args, argsrepr=argsrepr, headers=headers
            )
            if not self.records_status:
                await self.redis.lpush(self.queue, message)
                return
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(self.queue, message)
                # NX: never step back over a status a fast worker already wrote.
                pipe.set(status.key(message_id), status.encode("queued"), ex=self.status_ttl, nx=True)
                await pipe.execute()
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self.executor,
            lambda: self.celery.send_task(
                TASK_ANALYZE, args=args, task_id=message_id, headers=headers, argsrepr=argsrepr, retry=False
            ),
        )

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
        if self.redis is not None:
            await self.redis.aclose()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.celery.close()
