"""Reading a JSON request body a client may have built to hurt: every failure is an ``InvalidRequest``.

Pure. Details say what was wrong, never what was sent.
"""

from __future__ import annotations

import json

from webcore.errors import InvalidRequest


def parse_json(body: bytes) -> object:
    """Any JSON a client can send, or ``InvalidRequest``: never an exception of the parser's own (deep
    nesting raises RecursionError, an integer past Python's 4,300-digit limit a ValueError)."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"body is not valid UTF-8 JSON at position {exc.pos}") from None
    except RecursionError:
        raise InvalidRequest("body is nested too deeply") from None
    except ValueError:
        # Bytes that are no text (UnicodeDecodeError is a ValueError), or a number past the digit limit.
        raise InvalidRequest("body is not valid UTF-8 JSON, or holds a number too long to read") from None


def is_unicode_text(value: str) -> bool:
    """False for a string holding a lone surrogate (``"\\ud800"`` is valid JSON): it cannot be written as
    UTF-8, so it could reach no log, broker or response intact, and text tools may fail on it."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
