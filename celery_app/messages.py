"""Task messages for Celery's Redis transport, built without a kombu connection.

``send_task`` spends most of a millisecond of Python on every publish (producer pool, declarations,
signals); service_1 publishes on every request. On a Redis broker it instead LPUSHes the same message
itself: ``TaskMessages`` asks Celery's own ``as_task_v2`` once for the message of a task with marked
placeholders, keeps the JSON around them as a template, and per message only encodes the values that
change (id, body, argsrepr, delivery tag, headers). A test compares the result with what ``send_task``
writes, so a Celery upgrade that changes the format is caught.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from celery import Celery

ORIGIN = f"gen{os.getpid()}@{socket.gethostname()}"
# A placeholder no real value can hold (a NUL), so the template can be cut at each one.
_MARK = re.compile(r'"\\u0000([a-z_0-9-]+)\\u0000"')


def _mark(name: str) -> str:
    return f"\x00{name}\x00"


class TaskMessages:
    """The JSON kombu's Redis transport would LPUSH onto ``queue`` for ``task_name``, from a template."""

    def __init__(self, app: Celery, queue: str, task_name: str, header_names: Sequence[str] = ()) -> None:
        message = app.amqp.as_task_v2(
            _mark("id"),
            task_name,
            args=[],
            kwargs={},
            argsrepr=_mark("argsrepr"),
            kwargsrepr="{}",
            origin=ORIGIN,
        )
        properties = dict(message.properties)
        properties.update(
            delivery_mode=2,
            delivery_info={"exchange": "", "routing_key": queue},
            priority=0,
            body_encoding="base64",
            delivery_tag=_mark("tag"),
        )
        envelope = {
            "body": _mark("body"),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {**message.headers, "ignore_result": None, **{h: _mark(h) for h in header_names}},
            "properties": properties,
        }
        parts = _MARK.split(json.dumps(envelope))
        # parts alternate: literal, placeholder name, literal, ...
        self._literals = parts[0::2]
        self._fields = parts[1::2]
        self._embed = message.body[2]
        self.header_names = tuple(header_names)

    def render(
        self, task_id: str, args: list[Any], *, argsrepr: str, delivery_tag: str, headers: Mapping[str, Any]
    ) -> bytes:
        body = base64.b64encode(orjson.dumps([args, {}, self._embed])).decode()
        values = {"id": task_id, "argsrepr": argsrepr, "tag": delivery_tag, "body": body, **headers}
        out = [self._literals[0]]
        for field, literal in zip(self._fields, self._literals[1:], strict=True):
            out.append(orjson.dumps(values[field]).decode())
            out.append(literal)
        return "".join(out).encode()
