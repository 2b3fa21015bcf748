"""One logging setup for every process.

The caller's thread does only what must happen there: it stamps the record with the service and the request
id (a context variable, visible only on that thread), renders ``msg % args`` (the args may change later), and
puts the record on a ``SimpleQueue``. A ``QueueListener`` thread gives it a ``record_id``, formats it once as
a JSON line, appends it to ``logs/<process>.txt`` (size-rotated) and hands the same line to the
``FluentForwarder``, whose own thread does the network and the spool. A slow disk or a dead collector never
reaches a request.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import logging.handlers
import os
import queue
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from logpipe.context import request_id_var
from logpipe.forward import FluentForwarder
from logpipe.settings import LogSettings

# Kept for callers that read them; the values now come from LogSettings.
_defaults = LogSettings.from_env()
ROTATE_BYTES = _defaults.rotate_bytes
ROTATE_BACKUPS = _defaults.rotate_backups


class ContextFilter(logging.Filter):
    """Stamps a record with the service name, the current request id and the default event.

    Kept for handlers outside the pipeline (the pipeline's own ``ContextQueueHandler`` inlines the same work
    because a filter call is measurable on the request path).
    """

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        _stamp(record, self.service)
        return True


def _stamp(record: logging.LogRecord, service: str) -> None:
    d = record.__dict__
    if "service" not in d:
        record.service = service
    if d.get("request_id") is None:
        record.request_id = request_id_var.get()
    if "event" not in d:
        record.event = "log"


class ContextQueueHandler(logging.handlers.QueueHandler):
    """The only handler the caller's thread runs: stamp, render, enqueue. No lock, no copy, no I/O."""

    def __init__(
        self,
        records: queue.SimpleQueue[logging.LogRecord],
        service: str,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(records)
        self.service = service
        self.fields = fields or {}
        self._put = records.put
        self._exc_formatter = logging.Formatter()

    def handle(self, record: logging.LogRecord) -> bool:  # type: ignore[override]
        if self.filters and not self.filter(record):
            return False
        try:
            _stamp(record, self.service)
            if self.fields:
                record.__dict__.update(self.fields)
            if record.args:
                record.msg = record.getMessage()
                record.args = None
            if record.exc_info:
                # A traceback pins frames whose locals keep changing; render it while it is still true.
                record.exc_text = self._exc_formatter.formatException(record.exc_info)
                record.exc_info = None
            self._put(record)
        except Exception:
            self.handleError(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)


class UtcJsonFormatter(JsonFormatter):
    """python-json-logger with UTC ms times, which also keeps the fields of the line it just rendered.

    The forwarder packs those fields to msgpack directly instead of parsing the line back: the same data,
    a third of the background CPU per record.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last = threading.local()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        dt = datetime.fromtimestamp(record.created, UTC)
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        self._last.data = log_data
        return super().jsonify_log_record(log_data)

    def last_fields(self) -> dict[str, Any] | None:
        """The fields of the last line this thread formatted."""
        return getattr(self._last, "data", None)


def make_formatter() -> UtcJsonFormatter:
    return UtcJsonFormatter(
        "%(asctime)s %(levelname)s %(service)s %(event)s %(request_id)s %(message)s %(record_id)s",
        rename_fields={"asctime": "time", "levelname": "level"},
        json_ensure_ascii=False,
    )


class JsonLinesHandler(logging.handlers.RotatingFileHandler):
    """Size-rotated JSON-lines file that also tees each formatted line to the forwarder.

    Runs on the listener thread only. ``emit_batch`` formats each record once and writes a whole batch with
    one write and one flush, which is most of the background cost saved; the forwarder reuses the lines.
    ``emit`` (one record) stays for anyone who uses it as a plain handler.
    """

    def __init__(self, path: Path, *, max_bytes: int, backups: int, id_prefix: str) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.forwarder: FluentForwarder | None = None
        self._ids = itertools.count(1)
        self._id_prefix = id_prefix

    def format(self, record: logging.LogRecord) -> str:
        if "record_id" not in record.__dict__:
            # Unique across processes and restarts (random prefix), cheap per record (a counter).
            record.record_id = f"{self._id_prefix}{next(self._ids):x}"
        return super().format(record)

    def emit(self, record: logging.LogRecord) -> None:
        self.emit_batch([record])

    def emit_batch(self, records: list[logging.LogRecord]) -> None:
        lines: list[str] = []
        teed: list[tuple[float, dict[str, Any] | str]] = []
        formatter = self.formatter if isinstance(self.formatter, UtcJsonFormatter) else None
        for record in records:
            if record.levelno < self.level:
                continue
            try:
                line = self.format(record)
            except Exception:
                self.handleError(record)
                continue
            lines.append(line)
            fields = formatter.last_fields() if formatter is not None else None
            teed.append((record.created, line if fields is None else fields))
        if not lines:
            return
        with self.lock:
            try:
                self._write_rotating(lines)
            except Exception:
                self.handleError(records[0])
        if self.forwarder is not None:
            self.forwarder.submit_many(teed)

    def _write_rotating(self, lines: list[str]) -> None:
        if self.stream is None:
            self.stream = self._open()
        size = self.stream.tell()
        pending: list[str] = []
        for line in lines:
            n = len(line) + 1
            if self.maxBytes > 0 and size > 0 and size + n >= self.maxBytes:
                if pending:
                    self.stream.write("\n".join(pending) + "\n")
                    pending = []
                self.doRollover()
                if self.stream is None:
                    self.stream = self._open()
                size = 0
            pending.append(line)
            size += n
        if pending:
            self.stream.write("\n".join(pending) + "\n")
        self.stream.flush()


class BatchListener:
    """The background half of the queue: takes every record waiting, writes them as one batch.

    Plays the part of ``QueueListener``; it exists because handing records over one at a time costs a
    write and a flush each, and that CPU is taken (under the GIL) from the threads serving requests.
    """

    _SENTINEL: Any = None

    def __init__(
        self, records: queue.SimpleQueue[Any], handler: JsonLinesHandler, max_batch: int = 512
    ) -> None:
        self.queue = records
        self.handler = handler
        self.max_batch = max_batch
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="logpipe-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Writes everything enqueued before the call, then ends the thread."""
        if self._thread is None:
            return
        self.queue.put(self._SENTINEL)
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        get, get_nowait = self.queue.get, self.queue.get_nowait
        while True:
            record = get()
            batch: list[logging.LogRecord] = []
            done = record is self._SENTINEL
            if not done:
                batch.append(record)
            while not done and len(batch) < self.max_batch:
                try:
                    record = get_nowait()
                except queue.Empty:
                    break
                if record is self._SENTINEL:
                    done = True
                else:
                    batch.append(record)
            if batch:
                try:
                    self.handler.emit_batch(batch)
                except Exception:  # a logging failure must never end the thread
                    self.handler.handleError(batch[0])
            if done:
                return


@dataclass
class LogPipeline:
    process: str
    log_dir: Path
    listener: BatchListener
    handlers: list[logging.Handler] = field(default_factory=list)
    forwarder: FluentForwarder | None = None
    tag: str | None = None
    flush_timeout: float = 5.0
    stopped: bool = False
    setup_args: dict[str, Any] = field(default_factory=dict)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> bool:
        """Drains the queue, flushes to the collector within the flush timeout, closes every handler.

        Safe to call twice. Returns True when every record reached the collector (or none was meant to);
        records it could not deliver stay in the spool and go first on the next start.
        """
        with self._stop_lock:
            if self.stopped:
                return True
            self.stopped = True
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, ContextQueueHandler) and handler.queue is self.listener.queue:
                root.removeHandler(handler)
        self.listener.stop()
        delivered = True
        if self.forwarder is not None:
            delivered = self.forwarder.stop(self.flush_timeout)
        for handler in self.handlers:
            handler.close()
        return delivered

    def pending(self) -> int:
        """Records accepted but not yet acknowledged by the collector."""
        return self.forwarder.pending() if self.forwarder is not None else 0


_current: LogPipeline | None = None
_setup_lock = threading.Lock()


def setup_logging(
    process: str,
    service: str | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    level: int | str | None = None,
    *,
    fluent: bool | None = None,
    fields: dict[str, str] | None = None,
) -> LogPipeline:
    """Routes the root logger to ``<log_dir>/<process>.txt`` and, when enabled, to Fluentd.

    Replaces an earlier setup. ``fluent`` overrides the environment (the collector passes False so that it
    never logs into itself). ``fields`` are stamped on every record (a replica's ``instance``).
    """
    global _current
    settings = LogSettings.from_env()
    with _setup_lock:
        if _current is not None:
            _current.stop()
        directory = Path(log_dir) if log_dir is not None else settings.log_dir
        directory.mkdir(parents=True, exist_ok=True)
        file_handler = JsonLinesHandler(
            directory / f"{process}.txt",
            max_bytes=settings.rotate_bytes,
            backups=settings.rotate_backups,
            id_prefix=uuid.uuid4().hex[:16] + "-",
        )
        file_handler.setFormatter(make_formatter())

        forwarder: FluentForwarder | None = None
        tag: str | None = None
        if settings.fluent_enabled if fluent is None else fluent:
            tag = f"{settings.tag_prefix}.{process}"
            forwarder = FluentForwarder(
                tag,
                host=settings.fluent_host,
                port=settings.fluent_port,
                spool_dir=directory / "spool" / process,
                spool_max_bytes=settings.spool_max_bytes,
                segment_bytes=settings.spool_segment_bytes,
                timeout=settings.send_timeout,
                retry_max_seconds=settings.retry_max_seconds,
            )
            forwarder.start()
            file_handler.forwarder = forwarder

        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        queue_handler = ContextQueueHandler(records, service or process, fields)
        listener = BatchListener(records, file_handler)
        listener.start()
        if not settings.caller_info:
            # Documented logging optimisation: no stack walk per call for funcName/lineno, which our
            # JSON lines do not carry. It is a third of a log call's cost on the request path.
            logging._srcfile = None  # type: ignore[attr-defined]

        root = logging.getLogger()
        for old in list(root.handlers):
            root.removeHandler(old)
        root.addHandler(queue_handler)
        root.setLevel(level or settings.level)
        _current = LogPipeline(
            process=process,
            log_dir=directory,
            listener=listener,
            handlers=[file_handler],
            forwarder=forwarder,
            tag=tag,
            flush_timeout=settings.flush_timeout,
            setup_args={
                "service": service,
                "log_dir": log_dir,
                "level": level,
                "fluent": fluent,
                "fields": fields,
            },
        )
        return _current


def current_pipeline() -> LogPipeline | None:
    return _current


def _stop_current_at_exit() -> None:
    if _current is not None:
        _current.stop()


def _after_fork_in_child() -> None:
    """A forked child inherits the queue handler but not the threads behind it: build them anew.

    The parent's pipeline is abandoned, not stopped: its threads do not exist here, and its spool and
    files belong to the parent (the child's forwarder takes a spool of its own, see ``lock_directory``).
    """
    global _current, _setup_lock
    # Another thread of the parent may have held the lock at the fork; in the child nobody will release it.
    _setup_lock = threading.Lock()
    old = _current
    if old is None or old.stopped:
        return
    old.stopped = True
    _current = None
    setup_logging(old.process, **old.setup_args)


atexit.register(_stop_current_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def log_event(
    logger: logging.Logger, event: str, message: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Logs one event of the contract's vocabulary. ``fields`` must never hold a raw user value."""
    logger.log(level, message, extra={"event": event, **fields})
