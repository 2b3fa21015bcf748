"""Publishing to Celery off the event loop, failing fast while the broker is down.

``apply_async`` is blocking socket I/O (~1 ms here), so it runs in a small thread pool. A publish that
fails or outlasts ``publish_timeout`` opens a short breaker: for ``retry_after`` seconds requests get 503
at once instead of each waiting on a dead broker; the first request after it tries again, so the service
recovers by itself when the broker comes back.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from celery import Celery

from celery_app.app import TASK_ANALYZE
from celery_app.signals import REQUEST_ID_HEADER


class BrokerUnavailable(Exception):
    pass


class Publisher:
    def __init__(self, celery: Celery, *, threads: int, timeout: float, retry_after: float) -> None:
        self.celery = celery
        self.timeout = timeout
        self.retry_after = retry_after
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="publish")
        self.down_until = 0.0
        self.last_error = ""

    def _send(self, message_id: str, text: str, request_id: str | None) -> None:
        self.celery.send_task(
            TASK_ANALYZE,
            args=[message_id, text],
            task_id=message_id,
            headers={REQUEST_ID_HEADER: request_id},
            # What the worker's own log lines show for the arguments: never the text itself.
            argsrepr=repr([message_id, f"<text: {len(text)} chars>"]),
            retry=False,
        )

    async def publish(self, message_id: str, text: str, request_id: str | None) -> None:
        if time.monotonic() < self.down_until:
            raise BrokerUnavailable(self.last_error)
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.run_in_executor(self.executor, self._send, message_id, text, request_id), self.timeout
            )
        except (TimeoutError, OSError, Exception) as exc:
            self.last_error = "publish timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.down_until = time.monotonic() + self.retry_after
            raise BrokerUnavailable(self.last_error) from exc
        self.down_until = 0.0

    def _probe(self) -> None:
        with self.celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=self.timeout)
            conn.default_channel  # noqa: B018  opening a channel proves the broker answers

    async def check(self) -> str | None:
        """None when the broker answers, else why not (for /readyz)."""
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(self.executor, self._probe), self.timeout * 2)
        except Exception as exc:
            return "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        self.down_until = 0.0
        return None

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.celery.close()
