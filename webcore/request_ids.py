"""Request ids: the caller's ``X-Request-ID`` when it is short and safe, a fresh one otherwise."""

from __future__ import annotations

import re
import uuid

from alerts import scan

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(raw: str | None) -> str:
    """The id to use for a request. Anything long, odd or holding sensitive data is replaced: the id goes
    into every log line of every process."""
    if raw and _SAFE.fullmatch(raw) and not scan(raw):
        return raw
    return new_request_id()
