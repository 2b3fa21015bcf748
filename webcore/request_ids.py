"""Request ids: the caller's ``X-Request-ID`` when it is short and safe, a fresh one otherwise."""

from __future__ import annotations

import re

from alerts import scan
from webcore.ids import fresh_id

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
# A run of digits this long can be a phone, card, account or id number, whatever the detector says.
_DIGITS = re.compile(r"\d{9,}")


def new_request_id() -> str:
    return fresh_id()


def accept_request_id(raw: str | None) -> str:
    """The id to use for a request. Anything long, odd or holding sensitive data is replaced: the id goes
    into every log line of every process."""
    if not raw or not _SAFE.fullmatch(raw):
        return new_request_id()
    if _UUID.fullmatch(raw) and not raw.replace("-", "").isdigit():
        return raw
    if not _DIGITS.search(raw) and not scan(raw):
        return raw
    return new_request_id()
