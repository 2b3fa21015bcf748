"""What the publisher (service_1) and the workers share, and nothing else: the task's name, the header
that carries the request id, and where a message's status and result live (one Redis key per message id).
Importing it builds nothing.

service_1 writes ``queued`` (only if no worker got there first); workers write ``processing``, then
``done`` with the result or ``failed``. Values are JSON: ``{"status", "result", "updated"}``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

TASK_ANALYZE = "analysis.analyze"
# The message header (a Celery task header) that carries the request id to the worker's log lines.
REQUEST_ID_HEADER = "request_id"

Status = Literal["queued", "processing", "done", "failed"]
KEY_PREFIX = "ingest:message:"


def status_key(message_id: str) -> str:
    return KEY_PREFIX + message_id


def encode_status(status: Status, result: dict[str, Any] | None = None) -> str:
    return json.dumps({"status": status, "result": result, "updated": time.time()})


def decode_status(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None
