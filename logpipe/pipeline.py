"""The handler every process logs through: each record rendered once, written and shipped in batches.

An event of ``log_event`` costs its caller a tuple on a deque: the time, the request id and the event's
own fields, read at the call. The writer thread renders them in batches (the fields and the JSON line,
once). A record that goes through a LogRecord is stamped (service, request id, event, static fields,
``record_id``) and rendered on the caller's thread (``JsonLineFormatter.render``), then queued the same
way. No queue hand-off wakes another thread per record, and no lock is taken.

One writer thread wakes on a timer (``flush_interval``) or when the deque passes ``flush_records``, writes
every line waiting with one ``write`` (size-rotated file), and hands the same fields to the
``FluentForwarder``, which packs them as forward-protocol entries, one call per batch (``pack_entries``;
packing on the caller's thread cost it more than rendering the line). Packing the line itself would
copy it exactly, but costs a JSON parse, and orjson reads ints past 64 bits as floats; the fields hold
the caller's values, which nothing here changes after logging them. Background threads that wake per
record take the GIL from the event loop once per record; this one takes it a few dozen times a second.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logpipe.clock import UtcClock
from logpipe.context import request_id_var
from logpipe.formatter import JsonLineFormatter
from logpipe.forward import FluentForwarder

# A rendered record: when it was made, its fields (or a foreign formatter's text) and its line.
Rendered = tuple[float, dict[str, Any] | str, bytes]
# An event of log_event, for the writer to render: time, level, event, message, its fields, request id.
# (Not the formatter: one set later flushes what is waiting first, see setFormatter.)
Deferred = tuple[float, int, str, str, dict[str, Any], str | None]
Pending = Rendered | Deferred


def _raced_formatter(_: Any) -> Any:
    raise TypeError("the formatter changed while the event waited")


class RotatingWriter:
    """Appends bytes to ``path``, renaming it to ``path.1`` (``.2``…, ``backups`` kept) past ``max_bytes``."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._fd = self._open()
        self._size = os.fstat(self._fd).st_size

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write_lines(self, lines: list[bytes]) -> None:
        if self.max_bytes <= 0 or self._size + sum(map(len, lines)) + len(lines) <= self.max_bytes:
            # The usual batch: it fits before the next rotation, one write.
            self._write(lines)
            return
        pending: list[bytes] = []
        size = self._size
        for line in lines:
            n = len(line) + 1
            if self.max_bytes > 0 and size > 0 and size + n > self.max_bytes:
                self._write(pending)
                pending = []
                self._rollover()
                size = 0
            pending.append(line)
            size += n
        self._write(pending)

    def _write(self, lines: list[bytes]) -> None:
        if not lines:
            return
        data = b"\n".join(lines) + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._size += len(data)

    def _rollover(self) -> None:
        os.close(self._fd)
        if self.backups > 0:
            for i in range(self.backups - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{i}")
                if older.exists():
                    older.replace(self.path.with_name(f"{self.path.name}.{i + 1}"))
            self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        else:
            self.path.unlink(missing_ok=True)
        self._fd = self._open()
        self._size = 0

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


class PipelineHandler(logging.Handler):
    """Root handler of a process: JSON lines to ``path`` and, with a forwarder, the central log."""

    def __init__(
        self,
        path: Path,
        *,
        service: str,
        fields: dict[str, Any] | None = None,
        rotate_bytes: int,
        rotate_backups: int,
        flush_interval: float,
        flush_records: int,
        forwarder: FluentForwarder | None = None,
    ) -> None:
        self._takes_events: bool | None = None
        super().__init__()
        self.path = path
        self.service = service
        self.fields = dict(fields or {})
        self.forwarder = forwarder
        self.flush_interval = flush_interval
        self.flush_records = flush_records
        self._writer = RotatingWriter(path, max_bytes=rotate_bytes, backups=rotate_backups)
        self._pending: collections.deque[Pending | threading.Event] = collections.deque()
        self._wake = threading.Event()
        self._stopping = False
        # Unique across processes and restarts (random prefix), cheap per record (a counter).
        self._id_prefix = os.urandom(8).hex() + "-"
        self._ids = itertools.count(1)
        self._thread = threading.Thread(target=self._run, name="logpipe-writer", daemon=True)
        self._thread.start()

    # -- the caller's thread -----------------------------------------------------------------------------
    def handle(self, record: logging.LogRecord) -> bool:
        if self.filters and not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            d = record.__dict__
            if "service" not in d:
                d["service"] = self.service
            if d.get("request_id") is None:
                d["request_id"] = request_id_var.get()
            if "event" not in d:
                d["event"] = "log"
            for name, value in self.fields.items():
                d.setdefault(name, value)
            d["record_id"] = f"{self._id_prefix}{next(self._ids)}"
            formatter = self.formatter
            if isinstance(formatter, JsonLineFormatter):
                fields, line = formatter.render(record)
                self._enqueue(record.created, fields, line)
            else:
                text = self.format(record)
                self._enqueue(record.created, text, text.encode())
        except Exception:
            self.handleError(record)

    @property
    def takes_events(self) -> bool:
        """Whether ``emit_event`` writes what ``emit`` would: a plain formatter and no filters.

        Asked on every ``log_event``, so it is worked out when the formatter or the filters change, not
        per call (the check was 3% of service_1's GIL time under load)."""
        takes = self._takes_events
        if takes is None:
            formatter = self.formatter
            takes = isinstance(formatter, JsonLineFormatter) and formatter.plain and not self.filters
            self._takes_events = takes
        return takes

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        # Events waiting to be rendered were logged under the formatter of their moment: new events take
        # the record path while those are written, then the new formatter decides.
        self._takes_events = False
        if self._pending:
            self.flush()
        super().setFormatter(fmt)
        self._takes_events = None

    def addFilter(self, filter: Any) -> None:
        super().addFilter(filter)
        self._takes_events = None

    def removeFilter(self, filter: Any) -> None:
        super().removeFilter(filter)
        self._takes_events = None

    def emit_event(self, level: int, event: str, message: str, extra: dict[str, Any]) -> None:
        """An event of ``log_event`` without a LogRecord: the same fields in the same order as ``emit``
        renders for it (the fixed ones, the event's own, then this process's static fields).

        The caller's thread keeps only what must be read at the call, the time and the request id; the
        writer thread renders the batch (``_render``). A record rendered between two requests' work
        cost the event loop several times what it costs in a batch, where the same code runs hot."""
        pending = self._pending
        pending.append((time.time(), level, event, message, extra, request_id_var.get()))
        if len(pending) >= self.flush_records:
            self._wake.set()

    def _render(self, pending: list[Pending]) -> list[Rendered]:
        """The batch with every event of ``emit_event`` rendered; rendered records kept as they are."""
        batch: list[Rendered] = []
        append = batch.append
        service, prefix, ids, static = self.service, self._id_prefix, self._ids, self.fields
        formatter = self.formatter
        iso: Callable[[float], str]
        dumps: Callable[[dict[str, Any]], bytes]
        if isinstance(formatter, JsonLineFormatter):  # (takes_events made sure of it)
            iso, dumps = formatter.clock.iso, formatter.dumps
        else:
            # An event that raced a change of formatter is written bare, as one that cannot be rendered.
            iso = dumps = _raced_formatter
        # Most batches hold one or two levels: a dict lookup each, not a call into logging.
        level_names: dict[int, str] = {}
        for item in pending:
            if len(item) == 3:
                append(item)
                continue
            created, level, event, message, extra, request_id = item
            try:
                level_name = level_names.get(level)
                if level_name is None:
                    level_name = level_names[level] = logging.getLevelName(level)
                fields: dict[str, Any] = {
                    "time": iso(created),
                    "level": level_name,
                    "service": service,
                    "event": event,
                    "request_id": None,
                    "message": message,
                    "record_id": f"{prefix}{next(ids)}",
                }
                if extra:
                    # An event's own service or request_id takes the default's place, as with a LogRecord.
                    fields.update(extra)
                if fields["request_id"] is None:
                    fields["request_id"] = request_id
                if static:
                    for name, value in static.items():
                        fields.setdefault(name, value)
                append((created, fields, dumps(fields)))
            except Exception as exc:
                # One event must neither stop this thread nor lose the batch: it is written without its
                # own fields, saying why.
                append(self._render_bare(item, exc))
        return batch

    def _render_bare(self, item: Deferred, exc: Exception) -> Rendered:
        created, level, event, message, _, request_id = item
        fields: dict[str, Any] = {
            "time": UtcClock().iso(created),
            "level": logging.getLevelName(level),
            "service": self.service,
            "event": event,
            "request_id": request_id,
            "message": str(message),
            "record_id": f"{self._id_prefix}{next(self._ids)}",
            "render_error": type(exc).__name__,
        }
        return created, fields, json.dumps(fields).encode()

    def _enqueue(self, created: float, fields: dict[str, Any] | str, line: bytes) -> None:
        pending = self._pending
        pending.append((created, fields, line))
        if len(pending) >= self.flush_records:
            self._wake.set()

    # -- the writer thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            stopping = self._stopping
            self._drain()
            if stopping:
                return

    def _drain(self) -> None:
        pending = self._pending
        while pending:
            batch: list[Pending] = []
            markers: list[threading.Event] = []
            while pending and len(batch) < 4096:
                item = pending.popleft()
                if isinstance(item, threading.Event):
                    markers.append(item)
                    break
                batch.append(item)
            self._write(batch)
            for marker in markers:
                marker.set()

    def _write(self, pending: list[Pending]) -> None:
        if not pending:
            return
        batch = self._render(pending)
        try:
            self._writer.write_lines([line for _, _, line in batch])
        except OSError as exc:
            # The disk is full or gone: the central log still gets the records, and the next batch tries
            # the file again.
            sys.stderr.write(f"logpipe: cannot write {self.path}: {exc}\n")
        if self.forwarder is not None:
            try:
                self.forwarder.submit_records([(created, fields) for created, fields, _ in batch])
            except Exception as exc:
                # A batch nothing can pack (a record's time before 1970) must not stop this thread: the
                # file has the lines, and later batches still stream.
                sys.stderr.write(f"logpipe: cannot stream {len(batch)} records: {exc!r}\n")

    def flush(self) -> None:
        """Returns once everything logged before the call is in the file (and handed to the forwarder)."""
        if not self._thread.is_alive():
            self._drain()
            return
        marker = threading.Event()
        self._pending.append(marker)
        self._wake.set()
        marker.wait(max(1.0, self.flush_interval * 4))

    def close(self) -> None:
        """Writes what is waiting, ends the writer thread and closes the file (the forwarder is the
        pipeline's to stop)."""
        if self._thread.is_alive():
            self._stopping = True
            self._wake.set()
            self._thread.join()
        self._drain()
        try:
            self._writer.close()
        except OSError:
            pass
        super().close()

    def abandon(self) -> None:
        """In a forked child: forgets the parent's waiting records (the parent writes them) and forwarder."""
        self._pending.clear()
        self.forwarder = None
        self._writer.close()
