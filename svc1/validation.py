"""Parsing and validating ``POST /messages``. Pure: bytes in, a message or an ``InvalidRequest`` out.

Error details name the field and the rule, never the value: a rejected value may be sensitive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from webcore.errors import ApiError, InvalidRequest

Mode = Literal["async", "sync"]
USER_MAX = 64
TEXT_MAX = 4000
FIELDS = {"user", "text", "mode"}


@dataclass(frozen=True, slots=True)
class MessageIn:
    user: str
    text: str
    mode: Mode


def check_content_type(content_type: str) -> None:
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")


def parse_message(body: bytes) -> MessageIn:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidRequest(f"body is not valid UTF-8 JSON{where}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("body must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        # Counted, never named: a key can carry a secret as well as a value can.
        raise InvalidRequest(f"{len(unknown)} unknown field(s); allowed: mode, text, user")
    user = _string(data, "user", USER_MAX)
    text = _string(data, "text", TEXT_MAX)
    mode = data.get("mode", "async")
    if mode not in ("async", "sync"):
        raise InvalidRequest('field "mode" must be "async" or "sync"')
    return MessageIn(user=user, text=text, mode=mode)


def _string(data: dict[str, object], name: str, max_len: int) -> str:
    if name not in data:
        raise InvalidRequest(f'field "{name}" is required')
    value = data[name]
    if not isinstance(value, str):
        raise InvalidRequest(f'field "{name}" must be a string')
    if not value.strip():
        raise InvalidRequest(f'field "{name}" must not be empty')
    if len(value) > max_len:
        raise InvalidRequest(f'field "{name}" must be at most {max_len} characters')
    return value
