"""Task messages for Celery's Redis transport, built without a kombu connection.

``send_task`` spends most of a millisecond of Python on every publish (producer pool, declarations,
signals); service_1 publishes on every request. On a Redis broker it instead builds the same message —
headers, properties and body from Celery's own ``as_task_v2`` — and LPUSHes it with its async client,
which is all kombu's Redis transport does for a message to a plain queue. A test compares the result
with what ``send_task`` writes, so a Celery upgrade that changes the format is caught.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import uuid
from typing import Any

from celery import Celery

ORIGIN = f"gen{os.getpid()}@{socket.gethostname()}"


def is_redis_broker(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def redis_task_message(
    app: Celery,
    queue: str,
    task_name: str,
    task_id: str,
    args: list[Any],
    *,
    argsrepr: str,
    headers: dict[str, Any],
) -> str:
    """The JSON string kombu's Redis transport would LPUSH onto ``queue`` for this task."""
    message = app.amqp.as_task_v2(
        task_id, task_name, args=args, kwargs={}, argsrepr=argsrepr, kwargsrepr="{}", origin=ORIGIN
    )
    body = json.dumps(message.body).encode()
    properties = dict(message.properties)
    properties.update(
        delivery_mode=2,
        delivery_info={"exchange": "", "routing_key": queue},
        priority=0,
        body_encoding="base64",
        delivery_tag=str(uuid.uuid4()),
    )
    envelope = {
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {**message.headers, "ignore_result": None, **headers},
        "properties": properties,
    }
    return json.dumps(envelope)
