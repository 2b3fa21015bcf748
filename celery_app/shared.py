"""What the publisher (service_1) and the workers share, and nothing else: the task's name, the header
that carries the request id, and where a message's status and result live (one Redis key per message id).
Importing it builds nothing.

service_1 writes ``queued`` (only if no worker got there first); workers write ``processing`` (when their
analyses take long enough for a client to see it), then ``done`` with the result or ``failed``. Values
are JSON: ``{"status", "result", "updated"}``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import orjson

TASK_ANALYZE = "analysis.analyze"
# The message header (a Celery task header) that carries the request id to the worker's log lines.
REQUEST_ID_HEADER = "request_id"

Status = Literal["queued", "processing", "done", "failed"]
KEY_PREFIX = "ingest:message:"


def status_key(message_id: str) -> str:
    return KEY_PREFIX + message_id


def encode_status(status: Status, result: dict[str, Any] | None = None) -> str:
    record = {"status": status, "result": result, "updated": time.time()}
    try:
        # orjson: a worker writes two of these per task, and the standard encoder cost 4 µs each.
        return orjson.dumps(record).decode()
    except orjson.JSONEncodeError:
        # A lone surrogate or an int past 64 bits in a result: the standard encoder escapes or renders both.
        return json.dumps(record)


def decode_status(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = json.loads(raw)  # what the fallback above wrote: a lone surrogate's escape
    return value if isinstance(value, dict) else None
