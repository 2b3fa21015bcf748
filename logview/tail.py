"""The live tail: one poller for the whole app, fanned out to every open stream.

Polling (stat, then read what was appended) works the same for the collector, real Fluentd and files on
any filesystem; inotify would not. One poller instead of one per browser keeps the cost flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from logpipe import get_logger, log_event
from logview.reader import (
    BackwardLines,
    Budget,
    BudgetExhausted,
    Query,
    complete_lines,
    dedup_key,
    discover,
    line_boundary,
    parse_line,
    record_time,
)
from logview.redact import redact

CLOSE = object()  # put on a subscriber's queue when the server shuts down
OVERFLOW = object()  # the subscriber fell behind and lost records; the page should reload
log = get_logger("logview.tail")
MAX_READ = 4 * 1024 * 1024  # per file per poll: a burst is spread over polls, memory stays bounded
# A re-sent chunk lands twice in a real Fluentd's files, seconds apart: the stream shows a record once.
# The keys of the records seen lately (those already in the files at start included: the first page showed
# them) are remembered, this many at most.
SEEN_KEYS = 100_000
SEED_BYTES = 1024 * 1024  # per file, read backwards at start


class Tailer:
    def __init__(self, root: Path, executor: Executor, interval: float, queue_size: int = 2000) -> None:
        self.root = root
        self.executor = executor
        self.interval = interval
        self.queue_size = queue_size
        self.subscribers: set[asyncio.Queue[Any]] = set()
        self._offsets: dict[tuple[int, int], int] = {}
        self._primed = False
        self._task: asyncio.Task[None] | None = None
        self._last_error = float("-inf")
        self._seen: OrderedDict[str, None] = OrderedDict()

    # ----------------------------------------------------------------------------- subscriptions

    def subscribe(self) -> asyncio.Queue[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue(self.queue_size)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Any]) -> None:
        self.subscribers.discard(queue)

    def close_all(self) -> None:
        for queue in list(self.subscribers):
            _put_last(queue, CLOSE)

    # ------------------------------------------------------------------------------------ polling

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self._poll, False)
        self._task = asyncio.create_task(self._run(), name="logview-tail")

    async def stop(self) -> None:
        self.close_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval)
            try:
                records = await loop.run_in_executor(self.executor, self._poll, bool(self.subscribers))
            except Exception as exc:  # a vanished file or a full disk must not end the tail for good
                now = loop.time()
                if now - self._last_error > 60:  # once a minute is enough to notice, not to flood
                    self._last_error = now
                    log_event(
                        log,
                        "tail.failed",
                        "live tail poll failed",
                        level=logging.WARNING,
                        error=type(exc).__name__,
                    )
                continue
            for rec in records:
                for queue in list(self.subscribers):
                    try:
                        queue.put_nowait(rec)
                    except asyncio.QueueFull:
                        _put_last(queue, OVERFLOW)

    def _poll(self, read: bool) -> list[dict[str, Any]]:
        """New complete records since the last poll (blocking). With ``read`` False, only moves on."""
        out: list[dict[str, Any]] = []
        for lf in discover(self.root):
            known = self._offsets.get(lf.inode)
            if known is None:
                # Files present at start were shown by the first page; a file born later is all new.
                known = lf.size if not self._primed else 0
                if not self._primed:
                    with lf.path.open("rb") as fh:
                        known = line_boundary(fh, lf.size, 64 * 1024)
                        self._seed_seen(fh, known)
            if lf.size < known:
                known = 0  # truncated and rewritten
            if lf.size == known:
                self._offsets[lf.inode] = known
                continue
            try:
                with lf.path.open("rb") as fh:
                    if not read:
                        self._offsets[lf.inode] = line_boundary(fh, lf.size, 64 * 1024)
                        continue
                    end = known
                    tag = lf.rel.split("/", 1)[0]
                    window = min(lf.size, known + MAX_READ)
                    for line_end, raw in complete_lines(fh, known, window):
                        end = line_end
                        if not raw.strip():
                            continue
                        rec = parse_line(raw)
                        if rec is not None and self._first_time(rec):
                            rec.setdefault("tag", tag)
                            out.append(redact(rec))
                    if end == known and window - known >= MAX_READ:
                        end = window  # one line longer than the window: garbage, skip it
                    self._offsets[lf.inode] = max(end, known)
            except OSError:
                continue
        self._primed = True
        out.sort(key=record_time)
        return out

    def _first_time(self, rec: dict[str, Any]) -> bool:
        key = dedup_key(rec)
        if key is None:
            return True
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._remember(key)
        return True

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        if len(self._seen) > SEEN_KEYS:
            self._seen.popitem(last=False)

    def _seed_seen(self, fh: Any, end: int) -> None:
        """The keys of the newest records already in a file at start (oldest first, as if tailed)."""
        reader = BackwardLines(fh, end, Query(), Budget(SEED_BYTES))
        keys: list[str] = []
        with contextlib.suppress(BudgetExhausted):
            while (line := reader.next()) is not None:
                rec = parse_line(line.raw)
                key = dedup_key(rec) if rec is not None else None
                if key is not None:
                    keys.append(key)
        for key in reversed(keys):
            self._remember(key)


def _put_last(queue: asyncio.Queue[Any], item: object) -> None:
    """Makes room if needed: a control message must get through even to a full queue."""
    while True:
        try:
            queue.put_nowait(item)
            return
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
