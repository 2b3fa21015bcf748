"""One logging setup for every process, from the declarative configuration in ``logging/``.

``setup_logging(process)`` loads ``logging/logging.toml`` (or the file ``LOG_CONFIG`` names) and applies it
with ``logging.config.dictConfig``. The file decides levels, format and batching; the environment decides
where the lines go (``LOG_DIR``, the Fluentd address, the spool). A missing or broken file stops the
process at once with a message naming it: running without the logs the operator configured is worse.
"""

from __future__ import annotations

import atexit
import copy
import logging
import logging.config
import os
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logpipe.forward import FluentForwarder
from logpipe.pipeline import PipelineHandler
from logpipe.settings import LogSettings

PIPELINE_HANDLER = "pipeline"


class LogConfigError(SystemExit):
    """The logging configuration cannot be used; the message names the file and what is wrong."""


def load_config(path: Path) -> dict[str, Any]:
    """The dictConfig dictionary in ``path``; ``LogConfigError`` naming the file when it cannot be used."""
    try:
        with path.open("rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise LogConfigError(
            f"logging configuration {path} not found (set LOG_CONFIG to another file)"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LogConfigError(f"logging configuration {path} cannot be read: {exc}") from None
    handler = config.get("handlers", {}).get(PIPELINE_HANDLER)
    if config.get("version") != 1 or not isinstance(handler, dict):
        raise LogConfigError(
            f"logging configuration {path}: needs version = 1 and a [handlers.{PIPELINE_HANDLER}] table"
        )
    return config


@dataclass
class LogPipeline:
    process: str
    log_dir: Path
    handler: PipelineHandler
    forwarder: FluentForwarder | None = None
    tag: str | None = None
    flush_timeout: float = 5.0
    stopped: bool = False
    setup_args: dict[str, Any] = field(default_factory=dict)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> bool:
        """Writes what is waiting, delivers it to the collector within the flush timeout, closes the file.

        Safe to call twice. Returns True when every record reached the collector (or none was meant to);
        records it could not deliver stay in the spool and go first on the next start.
        """
        with self._stop_lock:
            if self.stopped:
                return True
            self.stopped = True
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        if self.forwarder is not None:
            return self.forwarder.stop(self.flush_timeout)
        return True

    def flush(self) -> None:
        """Everything logged so far is in the file and handed to the forwarder."""
        self.handler.flush()

    def pending(self) -> int:
        """Records accepted but not yet acknowledged by the collector."""
        self.handler.flush()
        return self.forwarder.pending() if self.forwarder is not None else 0


def pipeline_handler(
    *,
    process: str,
    service: str,
    log_dir: Path,
    stream: bool,
    fields: dict[str, Any] | None = None,
    rotate_bytes: int = 20 * 1024 * 1024,
    rotate_backups: int = 5,
    flush_interval: float = 0.05,
    flush_records: int = 2000,
) -> PipelineHandler:
    """The ``[handlers.pipeline]`` factory: the file handler and, when streaming, its forwarder."""
    settings = LogSettings.from_env()
    forwarder = None
    if stream:
        forwarder = FluentForwarder(
            f"{settings.tag_prefix}.{process}",
            host=settings.fluent_host,
            port=settings.fluent_port,
            spool_dir=log_dir / "spool" / process,
            spool_max_bytes=settings.spool_max_bytes,
            segment_bytes=settings.spool_segment_bytes,
            timeout=settings.send_timeout,
            retry_max_seconds=settings.retry_max_seconds,
        )
        forwarder.start()
    return PipelineHandler(
        log_dir / f"{process}.txt",
        service=service,
        fields=fields,
        rotate_bytes=rotate_bytes,
        rotate_backups=rotate_backups,
        flush_interval=flush_interval,
        flush_records=flush_records,
        forwarder=forwarder,
    )


_current: LogPipeline | None = None
_setup_lock = threading.Lock()


def setup_logging(
    process: str,
    service: str | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    level: int | str | None = None,
    *,
    fluent: bool | None = None,
    fields: dict[str, Any] | None = None,
) -> LogPipeline:
    """Routes the root logger to ``<log_dir>/<process>.txt`` and, when enabled, to Fluentd, as the logging
    configuration says.

    Replaces an earlier setup. ``fluent`` overrides the environment and the file (the collector passes
    False so that it never logs into itself); ``fields`` are stamped on every record (a replica's
    ``instance``).
    """
    global _current
    settings = LogSettings.from_env()
    path = settings.config
    config = copy.deepcopy(load_config(path))
    with _setup_lock:
        if _current is not None:
            _current.stop()
        directory = Path(log_dir) if log_dir is not None else settings.log_dir
        directory.mkdir(parents=True, exist_ok=True)
        handler_config = config["handlers"][PIPELINE_HANDLER]
        stream = bool(handler_config.get("stream", True)) and settings.fluent_enabled
        handler_config.update(
            process=process,
            service=service or process,
            log_dir=directory,
            stream=stream if fluent is None else fluent,
            fields=fields,
        )
        root_level = level or settings.level
        if root_level:
            config.setdefault("root", {})["level"] = root_level
        _plain_chain.clear()
        try:
            logging.config.dictConfig(config)
        except (ValueError, TypeError, AttributeError, ImportError) as exc:
            raise LogConfigError(f"logging configuration {path} is not valid: {exc}") from None
        handler = next(h for h in logging.getLogger().handlers if isinstance(h, PipelineHandler))
        if not settings.caller_info:
            # Documented logging optimisations: no stack walk per call for funcName/lineno, no thread,
            # process or multiprocessing names per record; our JSON lines carry none of them.
            logging._srcfile = None
            logging.logThreads = False
            logging.logProcesses = False
            logging.logMultiprocessing = False
        _current = LogPipeline(
            process=process,
            log_dir=directory,
            handler=handler,
            forwarder=handler.forwarder,
            tag=handler.forwarder.tag if handler.forwarder is not None else None,
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


def _stop_current_at_exit() -> None:
    if _current is not None:
        _current.stop()


def _after_fork_in_child() -> None:
    """A forked child inherits the handler but not the threads behind it: build them anew.

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
    logging.getLogger().removeHandler(old.handler)
    old.handler.abandon()
    setup_logging(old.process, **old.setup_args)


atexit.register(_stop_current_at_exit)
os.register_at_fork(after_in_child=_after_fork_in_child)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def log_event(
    logger: logging.Logger, event: str, message: str, *, level: int = logging.INFO, **fields: Any
) -> None:
    """Logs one event of the contract's vocabulary. ``fields`` must never hold a raw user value.

    When the pipeline is the only place the record would go (no other handler or filter on the way to the
    root logger, which has just the pipeline), the event goes to it directly, without a LogRecord: the
    same line, a third of the cost. Anything else configured (a handler added by logging.toml, a test's
    capture) gets an ordinary record.

    The time and the request id are read at the call; the line and the stream's copy are rendered from the
    fields by the writer thread a moment later (as with the standard library's QueueHandler): pass values
    nobody changes afterwards.
    """
    if not logger.isEnabledFor(level):
        return
    handler = _direct_handler(logger, level)
    if handler is not None:
        try:
            handler.emit_event(level, event, message, fields)
            return
        except Exception:  # fall back to the record path, which reports through handleError
            pass
    logger.log(level, message, extra={"event": event, **fields})


_ROOT = logging.getLogger()
# Per logger name: whether nothing but the root's handlers sees its records (no handlers or filters of its
# own or of its ancestors, propagation on). Loggers are configured at start; setup_logging clears this.
_plain_chain: dict[str, bool] = {}


def _direct_handler(logger: logging.Logger, level: int) -> PipelineHandler | None:
    handlers = _ROOT.handlers
    if len(handlers) != 1 or _ROOT.filters:
        return None
    handler = handlers[0]
    if not isinstance(handler, PipelineHandler) or level < handler.level or not handler.takes_events:
        return None
    plain = _plain_chain.get(logger.name)
    if plain is None:
        plain = _plain_chain[logger.name] = _reaches_only_root(logger)
    return handler if plain else None


def _reaches_only_root(logger: logging.Logger) -> bool:
    node: logging.Logger | None = logger
    while node is not None and node is not _ROOT:
        if node.handlers or node.filters or not node.propagate:
            return False
        node = node.parent
    return True
