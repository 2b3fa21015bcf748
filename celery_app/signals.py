"""Worker wiring: our logging instead of Celery's, and the request id of the message around each task."""

from __future__ import annotations

import contextvars
from typing import Any

from celery import Task
from celery.signals import celeryd_after_setup, setup_logging, task_postrun, task_prerun

from celery_app.shared import REQUEST_ID_HEADER
from logpipe import request_id_var
from logpipe import setup_logging as setup_logpipe

_tokens: dict[str, contextvars.Token[str | None]] = {}


def process_name(hostname: str) -> str:
    """``worker1@host`` logs as ``worker1`` (the contract's ``logs/worker1.txt``)."""
    return hostname.split("@", 1)[0] or "worker"


@setup_logging.connect
def _keep_celery_off_logging(**_: Any) -> None:
    """Connected so that Celery leaves logging alone; ours starts once the node name is known."""


@celeryd_after_setup.connect
def _setup_worker_logging(sender: str, **_: Any) -> None:
    name = process_name(sender)
    # logging/logging.toml keeps Celery's per-task lines (and the return values they print) out.
    setup_logpipe(name, service=name)


@task_prerun.connect
def _bind_request_id(task_id: str, task: Task, **_: Any) -> None:
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    _tokens[task_id] = request_id_var.set(request_id if isinstance(request_id, str) else None)


@task_postrun.connect
def _unbind_request_id(task_id: str, **_: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
