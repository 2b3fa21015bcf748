"""Parsing and validating ``POST /messages``. Pure: bytes in, a message or an ``InvalidRequest`` out.

Error details name the field and the rule, never the value: a rejected value may be sensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from webcore.errors import ApiError, InvalidRequest
from webcore.jsonbody import is_unicode_text, parse_json
from webcore.limits import TEXT_MAX, USER_MAX

Mode = Literal["async", "sync"]
FIELDS = {"user", "text", "mode"}
# Exactly the characters ``str.isspace`` (and so ``str.strip``) calls whitespace; the OpenAPI document's
# pattern is built from it, so the document refuses what the service refuses.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# "Holds a character that is not whitespace" (JSON Schema patterns match anywhere in the string).
NOT_BLANK_PATTERN = f"[^{WHITESPACE}]"


@dataclass(frozen=True, slots=True)
class MessageIn:
    user: str
    text: str
    mode: Mode


def check_content_type(content_type: str) -> None:
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")


def parse_message(body: bytes) -> MessageIn:
    data = parse_json(body)
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
        raise InvalidRequest(f'field "{name}" must not be empty or only whitespace')
    if not is_unicode_text(value):
        raise InvalidRequest(f'field "{name}" must be Unicode text (it holds an unpaired surrogate)')
    if len(value) > max_len:
        raise InvalidRequest(f'field "{name}" must be at most {max_len} characters')
    return value
