"""The request id of the work in progress, carried by a context variable (task- and thread-safe)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


@contextlib.contextmanager
def bind_request_id(request_id: str | None) -> Iterator[None]:
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)
