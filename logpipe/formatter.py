"""The one JSON rendering of a record: python-json-logger's orjson formatter, UTC ms times.

A record is rendered once, on the thread that logs it: ``render`` gives the fields and the JSON line (bytes)
together, so the file gets the line and the stream packs the very same fields to msgpack. Nothing renders a
record a second time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.orjson import OrjsonFormatter

from logpipe.clock import UtcClock

# The contract's fields of every line, in this order; ``record_id`` lets the central store drop a re-sent one.
DEFAULT_FIELDS = ("time", "level", "service", "event", "request_id", "message", "record_id")
_RENAMED = {"time": "asctime", "level": "levelname"}
_OPTIONS = orjson.OPT_NON_STR_KEYS
_dumps = orjson.dumps


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    try:
        return str(value)
    except Exception:  # (a __str__ that raises, or a structure too deep to print)
        return f"<{type(value).__name__}>"


class JsonLineFormatter(OrjsonFormatter):
    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS, **kwargs: Any) -> None:
        fmt = " ".join(f"%({_RENAMED.get(name, name)})s" for name in fields)
        rename = {source: name for name, source in _RENAMED.items() if name in fields}
        super().__init__(fmt, rename_fields=rename, **kwargs)
        # (name in the line, attribute of the record) for the fixed fields, then every other attribute
        # that is not the LogRecord's own: what python-json-logger's add_fields does, in one dict pass.
        self._plan = tuple((name, _RENAMED.get(name, name)) for name in fields)
        self._skip = frozenset(self._skip_fields) | {source for _, source in self._plan} | {"message"}
        self.clock = UtcClock()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.clock.iso(record.created)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        d = record.__dict__
        for name, source in self._plan:
            log_data[name] = d.get(source)
        if message_dict:
            log_data.update(message_dict)
        skip = self._skip
        for key, value in d.items():
            if key not in skip:
                log_data[key] = value

    def render(self, record: logging.LogRecord) -> tuple[dict[str, Any], bytes]:
        """The record's fields and its JSON line (no newline), both from one pass over the record."""
        message_dict: dict[str, Any] = {}
        if isinstance(record.msg, dict):
            message_dict = record.msg.copy()
            record.message = ""
        else:
            record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        if record.exc_info and not message_dict.get("exc_info"):
            message_dict["exc_info"] = self.formatException(record.exc_info)
        if not message_dict.get("exc_info") and record.exc_text:
            message_dict["exc_info"] = record.exc_text
        if record.stack_info and not message_dict.get("stack_info"):
            message_dict["stack_info"] = self.formatStack(record.stack_info)
        log_data: dict[str, Any] = {}
        self.add_fields(log_data, record, message_dict)
        log_data = self.process_log_record(log_data)
        return log_data, self.dumps(log_data)

    def dumps(self, log_data: dict[str, Any]) -> bytes:
        """The JSON line of a record's fields (no newline)."""
        try:
            # The usual record (str keys, types orjson knows) first: passing an option or a default makes
            # orjson take a slower path, about half a render's cost. Where it fails, the same call with
            # them writes what it would always have written.
            return _dumps(log_data)
        except TypeError:
            pass
        try:
            return _dumps(log_data, default=self.json_default, option=_OPTIONS)
        except TypeError:
            pass
        try:
            # A lone surrogate or an int past 64 bits: the standard encoder escapes or renders both.
            return json.dumps(log_data, cls=JsonEncoder).encode()
        except (TypeError, ValueError, RecursionError):
            # Keys JSON has no form for, or a cycle: each field that is not plain as its text, so the record
            # is still written (this runs on the writer thread, which must not stop).
            plain = {str(key): _plain(value) for key, value in log_data.items()}
            return json.dumps(plain, cls=JsonEncoder).encode()

    @property
    def plain(self) -> bool:
        """Whether this formatter writes exactly the default fields, in their order, and nothing of its own
        (no prefix, static fields or renames beyond the defaults): then an event's line can be built
        without a LogRecord (``PipelineHandler.emit_event``) and read the same."""
        return (
            type(self) is JsonLineFormatter
            and tuple(name for name, _ in self._plan) == DEFAULT_FIELDS
            and not self.prefix
            and not self.static_fields
            and not self.defaults
            and type(self).process_log_record is OrjsonFormatter.process_log_record
        )

    def format(self, record: logging.LogRecord) -> str:
        return self.render(record)[1].decode()
