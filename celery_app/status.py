"""Where a message's status and result live: one Redis key per message id, shared by service_1 and workers.

service_1 writes ``queued`` (only if no worker got there first); workers write ``processing``, then
``done`` with the result or ``failed``. Values are JSON: ``{"status", "result", "updated"}``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

Status = Literal["queued", "processing", "done", "failed"]
KEY_PREFIX = "ingest:message:"


def key(message_id: str) -> str:
    return KEY_PREFIX + message_id


def encode(status: Status, result: dict[str, Any] | None = None) -> str:
    return json.dumps({"status": status, "result": result, "updated": time.time()})


def decode(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None
