"""Request ids: the caller's ``X-Request-ID`` when it is short and safe, a fresh one otherwise."""

from __future__ import annotations

import re
import uuid

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(raw: str | None) -> str:
    """The id to use for a request. Anything long, odd or containing digits-only runs long enough to be a
    phone or card number is replaced: an id goes into every log line, so it must not carry data."""
    if raw and _SAFE.fullmatch(raw) and not re.search(r"\d{7,}", raw.replace("-", "")):
        return raw
    return new_request_id()
