"""One logging setup for every process.

Callers only enqueue a record (``QueueHandler``); a ``QueueListener`` thread formats and writes it, so a
slow disk never slows a request.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import os
import queue
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from logpipe.context import request_id_var

ROTATE_BYTES = int(os.environ.get("LOG_ROTATE_BYTES", str(20 * 1024 * 1024)))
ROTATE_BACKUPS = int(os.environ.get("LOG_ROTATE_BACKUPS", "5"))


class ContextFilter(logging.Filter):
    """Stamps every record with the process's service name, the current request id and a unique id.

    It runs on the caller's thread (inside the QueueHandler's ``handle``) because the context variable
    holding the request id is only visible there.
    """

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "service"):
            record.service = self.service
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if not hasattr(record, "event"):
            record.event = "log"
        # Lets the central store drop a record delivered twice after a retry.
        record.record_id = uuid.uuid4().hex
        return True


class UtcJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        dt = datetime.fromtimestamp(record.created, UTC)
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_formatter() -> logging.Formatter:
    return UtcJsonFormatter(
        "%(asctime)s %(levelname)s %(service)s %(event)s %(request_id)s %(message)s %(record_id)s",
        rename_fields={"asctime": "time", "levelname": "level"},
        json_ensure_ascii=False,
    )


@dataclass
class LogPipeline:
    process: str
    log_dir: Path
    listener: logging.handlers.QueueListener
    handlers: list[logging.Handler] = field(default_factory=list)
    stopped: bool = False

    def stop(self) -> None:
        """Drains the queue and closes every handler. Safe to call twice."""
        if self.stopped:
            return
        self.stopped = True
        self.listener.stop()
        for handler in self.handlers:
            handler.close()


_current: LogPipeline | None = None


def setup_logging(
    process: str,
    *,
    service: str | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    level: int | str | None = None,
) -> LogPipeline:
    """Routes the root logger to ``<log_dir>/<process>.txt`` through a queue. Replaces an earlier setup."""
    global _current
    if _current is not None:
        _current.stop()
    directory = Path(log_dir or os.environ.get("LOG_DIR", "logs"))
    directory.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        directory / f"{process}.txt", maxBytes=ROTATE_BYTES, backupCount=ROTATE_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(make_formatter())
    handlers: list[logging.Handler] = [file_handler]

    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    queue_handler = logging.handlers.QueueHandler(records)
    queue_handler.addFilter(ContextFilter(service or process))
    listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(queue_handler)
    root.setLevel(level or os.environ.get("LOG_LEVEL", "INFO"))
    _current = LogPipeline(process=process, log_dir=directory, listener=listener, handlers=handlers)
    atexit.register(_current.stop)
    return _current


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def log_event(
    logger: logging.Logger, event: str, message: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Logs one event of the contract's vocabulary. ``fields`` must never hold a raw user value."""
    logger.log(level, message, extra={"event": event, **fields})
