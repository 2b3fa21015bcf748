"""Streams log records to Fluentd (or the embedded collector) without losing any and without blocking.

fluent-logger's own sender drops its whole buffer when it overflows, only retries when the next record is
emitted, and cannot ask for an acknowledgement (fluent-logger-python 0.11 has no ``require_ack``). So:

* ``AckSender`` extends fluent-logger's ``FluentSender`` (its connection handling, timeouts, unix sockets and
  ``EventTime``) with PackedForward chunks that carry the ``chunk`` option and wait for the ``ack``. A chunk
  counts as delivered only once the server says it wrote it.
* ``FluentForwarder`` owns one sender thread. The pipeline's writer thread packs each batch with one
  ormsgpack call per 256 records (``pack_entries``) and hands each payload over with one put. The
  sender sends, and on any failure appends the batch to a bounded on-disk ``Spool``; while the spool
  holds anything, new records join the spool behind it so the order stays. It retries on its own
  timer (backoff), so the spool drains as soon as the collector is back, whether or not anything new
  is logged.
* Delivery is at least once: a chunk whose ack was lost is sent again. Every record carries a ``record_id``
  and the collector drops one it already wrote, which makes the central store exactly once.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import queue
import struct
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import ormsgpack
from fluent.sender import FluentSender
from pythonjsonlogger.json import JsonEncoder

from logpipe.spool import Spool, lock_directory

_log = logging.getLogger("logpipe.forward")

# The sender stops collecting payloads for one send once this many records wait (a payload holds up to
# PACK_RECORDS, so a send may hold a few more); a spool segment's size is the other bound.
BATCH_RECORDS = 2000
# Records packed into one payload at most: a few hundred typical records stay well inside a segment.
PACK_RECORDS = 256


class AckError(OSError):
    """The server closed, timed out or answered something other than our chunk's ack."""


class AckSender(FluentSender):
    """fluent-logger's sender, plus the forward protocol's at-least-once mode (``chunk`` → ``ack``)."""

    def send_chunk(self, tag: str, payload: bytes, count: int) -> None:
        """Sends packed entries as one PackedForward message and returns once they are acknowledged.

        Raises ``OSError`` (``AckError`` included) on any failure, leaving the socket closed so the next
        call starts from a fresh connection and cannot read a stale ack.
        """
        chunk = base64.b64encode(uuid.uuid4().bytes).decode("ascii")
        frame = msgpack.packb([tag, payload, {"chunk": chunk, "size": count}], use_bin_type=True)
        with self.lock:
            try:
                self._reconnect()
                assert self.socket is not None
                self.socket.sendall(frame)
                self._await_ack(chunk)
            except BaseException:
                self._close()
                raise

    def _await_ack(self, chunk: str) -> None:
        assert self.socket is not None
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=64 * 1024)
        while True:
            data = self.socket.recv(4096)
            if not data:
                raise AckError("connection closed before the ack")
            unpacker.feed(data)
            for answer in unpacker:
                if isinstance(answer, dict) and answer.get("ack") == chunk:
                    return
                raise AckError(f"unexpected answer instead of the ack: {answer!r:.100}")


# Renders what msgpack cannot (datetimes, exceptions, enums, ...) exactly as the JSON line did.
_json_default = JsonEncoder().default


def pack_entries(records: Sequence[tuple[float, dict[str, Any] | str]]) -> bytes:
    """The PackedForward payload of ``records``: their ``[EventTime, record]`` entries, concatenated.

    One ormsgpack call packs the whole batch as an array, whose header is then cut off: the same bytes as
    packing each entry alone, handed over as one payload, so the sender joins, sizes and spools a few
    payloads per batch instead of every entry. A batch ormsgpack refuses is packed record by record, each
    with its own fallbacks (``pack_entry``)."""
    entries: list[tuple[ormsgpack.Ext, dict[str, Any]]] = []
    append = entries.append
    for created, record in records:
        if isinstance(record, str):
            record = _fields_of_line(record)
        seconds = int(created)
        append((_Ext(0, _EVENT_TIME.pack(seconds, int((created - seconds) * 1e9))), record))
    try:
        packed = _packb(entries)
    except (TypeError, ValueError, OverflowError):
        return b"".join(pack_entry(created, record) for created, record in records)
    # The array's header: a fixarray (1 byte), array 16 (3) or array 32 (5).
    first = packed[0]
    return packed[1 if first < 0xDC else 3 if first == 0xDC else 5 :]


def pack_entry(created: float, record: dict[str, Any] | str) -> bytes:
    """One forward-protocol entry ``[EventTime, record]``, whatever the record holds.

    The record is packed by ormsgpack (orjson's sibling): msgpack's own Packer took 2-3 times as long per
    record. Both write the same bytes for the values a record holds, which the collector's ormsgpack and
    msgpack paths both read."""
    if isinstance(record, str):
        record = _fields_of_line(record)
    seconds = int(created)
    # [EventTime, record] as msgpack: a 2-array, then EventTime as fixext8 of type 0 (seconds,
    # nanoseconds), written directly: fluent-logger's EventTime object costs more than the record.
    head = _ENTRY_HEAD.pack(0x92D7, 0, seconds, int((created - seconds) * 1e9))
    try:
        # Without a default first, as the line is rendered (formatter.dumps): passing one costs.
        return head + _packb(record)
    except TypeError:
        pass
    try:
        return head + _packb(record, default=_json_default)
    except (TypeError, ValueError, OverflowError):
        return head + _pack_plainly(record)


def _fields_of_line(line: str) -> dict[str, Any]:
    """The fields of a line a configured formatter rendered: its JSON object, or the line as a message."""
    try:
        fields = json.loads(line)
    except (ValueError, RecursionError):  # ("[[[[…" nested past the parser's depth)
        return {"message": line}
    return fields if isinstance(fields, dict) else {"message": line}


def _pack_plainly(record: dict[str, Any]) -> bytes:
    """A record msgpack refused (an int beyond 64 bits, a lone surrogate, a nested oddity), packed anyway:
    this runs on the writer thread, where an exception would stop every later record."""
    try:
        # The JSON route renders everything the JSON line does.
        plain: Any = json.loads(json.dumps(record, default=_json_default))
    except (ValueError, TypeError, RecursionError):
        plain = {str(key): str(value) for key, value in record.items()}
    # A lone surrogate has no UTF-8: it travels as "?" (the file's line keeps its \\ud800 escape).
    packed: bytes = msgpack.packb(plain, use_bin_type=True, default=str, unicode_errors="replace")
    return packed


# 0x92: a 2-array; 0xd7 0x00: fixext8 of type 0 (EventTime), then its seconds and nanoseconds.
_ENTRY_HEAD = struct.Struct(">HBII")
_EVENT_TIME = struct.Struct(">II")
_Ext = ormsgpack.Ext
_packb = ormsgpack.packb


@dataclass
class ForwardStats:
    sent: int = 0
    spooled: int = 0
    dropped: int = 0
    failures: int = 0


_STOP = object()
# A batch as the writer thread hands it over: its packed entries and how many there are.
Chunk = tuple[bytes, int]


class FluentForwarder:
    def __init__(
        self,
        tag: str,
        *,
        host: str,
        port: int,
        spool_dir: Path,
        spool_max_bytes: int,
        segment_bytes: int,
        timeout: float,
        retry_max_seconds: float,
    ) -> None:
        self.tag = tag
        self.sender = AckSender(tag, host=host, port=port, timeout=timeout)
        self.timeout = timeout
        self.retry_max_seconds = retry_max_seconds
        self.stats = ForwardStats()
        self.spool_dir, self._lock_fd = lock_directory(spool_dir)
        self.spool = Spool(
            self.spool_dir, max_bytes=spool_max_bytes, segment_bytes=segment_bytes, on_drop=self._dropped
        )
        self.segment_bytes = segment_bytes
        # Records left by an earlier run count as pending from the start.
        self._accepted = self.spool.records
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"logpipe-forward-{tag}", daemon=True)
        self._stop_deadline = 0.0

    # -- called from the pipeline's writer thread -------------------------------------------------------
    def submit(self, payload: bytes, count: int) -> None:
        """Takes ``count`` packed entries (``pack_entries``) for the collector; one batch, one hand-over."""
        if not count:
            return
        # Only the writer thread adds here (and only the sender thread counts sent and dropped), so these
        # plain integers need no lock.
        self._accepted += count
        self._inbox.put((payload, count))

    def submit_records(self, records: Sequence[tuple[float, dict[str, Any] | str]]) -> None:
        """Packs ``records`` (time, fields) on the calling thread and hands them over, in payloads no larger
        than a segment unless one record is: a chunk must stay far below the collector's frame limit."""
        for start in range(0, len(records), PACK_RECORDS):
            self._submit_packed(records[start : start + PACK_RECORDS])

    def _submit_packed(self, records: Sequence[tuple[float, dict[str, Any] | str]]) -> None:
        payload = pack_entries(records)
        if len(payload) > self.segment_bytes and len(records) > 1:
            # Unusually large records: halve until each payload fits (or holds one record).
            half = len(records) // 2
            self._submit_packed(records[:half])
            self._submit_packed(records[half:])
            return
        self.submit(payload, len(records))

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """Sends what it can within ``timeout``; the rest stays in the spool for the next start.

        Returns True when nothing is left unsent.
        """
        if not self._thread.is_alive():
            if self._thread.ident is None:
                # Never started: nothing else frees the spool and its directory's lock.
                self._release()
            return self.spool.empty
        self._stop_deadline = time.monotonic() + timeout
        self._inbox.put(_STOP)
        self._thread.join(timeout + self.timeout + 1.0)
        return self.spool.empty and not self._thread.is_alive()

    def pending(self) -> int:
        """Records not yet acknowledged (approximate, for tests and metrics)."""
        return self._accepted - self.stats.sent - self.stats.dropped

    # -- the sender thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 0.05
        next_retry = 0.0
        stopping = False
        while True:
            wait: float | None = None
            if not self.spool.empty:
                wait = max(0.0, next_retry - time.monotonic())
            entries, stopping = self._collect(wait, stopping)
            if entries:
                if self.spool.empty and not self._send_direct(entries):
                    next_retry = time.monotonic() + backoff
                elif not self.spool.empty:
                    self._spool(entries)
            if not self.spool.empty and (stopping or time.monotonic() >= next_retry):
                if self._send_head():
                    backoff = 0.05
                    next_retry = 0.0
                else:
                    backoff = min(backoff * 2, self.retry_max_seconds)
                    next_retry = time.monotonic() + backoff
                    if stopping:
                        # The rest is safe on disk; an unreachable collector must not hold up the exit.
                        break
            if stopping and (self.spool.empty or time.monotonic() >= self._stop_deadline):
                if self._inbox.empty():
                    break
        self.sender.close()
        self._release()

    def _release(self) -> None:
        """Frees the spool directory for a later pipeline of this process (setup_logging called again)."""
        if self._lock_fd >= 0:
            self.spool.close()
            fd, self._lock_fd = self._lock_fd, -1
            os.close(fd)

    def _collect(self, wait: float | None, stopping: bool) -> tuple[list[Chunk], bool]:
        items: list[Chunk] = []
        records = 0
        if stopping:
            wait = 0.0
        try:
            first = self._inbox.get(timeout=wait) if wait != 0.0 else self._inbox.get_nowait()
        except queue.Empty:
            return items, stopping
        item = first
        while True:
            if item is _STOP:
                stopping = True
            else:
                items.append(item)
                records += item[1]
                if records >= BATCH_RECORDS:
                    break
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
        return items, stopping

    def _send_direct(self, chunks: list[Chunk]) -> bool:
        """Sends from memory, batches joined up to a segment's size; what is not acked goes to the spool."""
        start = 0
        while start < len(chunks):
            end, size, count = start, 0, 0
            while end < len(chunks) and (end == start or size + len(chunks[end][0]) <= self.segment_bytes):
                size += len(chunks[end][0])
                count += chunks[end][1]
                end += 1
            payload = chunks[start][0] if end == start + 1 else b"".join(p for p, _ in chunks[start:end])
            try:
                self.sender.send_chunk(self.tag, payload, count)
            except OSError:
                self.stats.failures += 1
                self._spool(chunks[start:])
                return False
            self.stats.sent += count
            start = end
        return True

    def _send_head(self) -> bool:
        head = self.spool.head()
        if head is None:
            return True
        payload, count = head
        try:
            self.sender.send_chunk(self.tag, payload, count)
        except OSError:
            self.stats.failures += 1
            return False
        self.spool.pop_head()
        self.stats.sent += count
        return True

    def _spool(self, chunks: list[Chunk]) -> None:
        self.spool.append(chunks)
        self.stats.spooled += sum(count for _, count in chunks)

    def _dropped(self, records: int, size: int) -> None:
        self.stats.dropped += records
        # Goes to the local file like any record (and to the collector once it is back): the loss is
        # visible where an operator looks, and it costs one line per evicted segment, not per record.
        _log.error(
            "log spool full: dropped the %d oldest records (%d bytes) not yet delivered to %s:%s",
            records,
            size,
            self.sender.host,
            self.sender.port,
            extra={
                "event": "logpipe.spool_overflow",
                "dropped_records": records,
                "dropped_total": self.stats.dropped,
            },
        )
