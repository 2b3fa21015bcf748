"""service_2's handlers: only service_1 (holder of the shared token) may call /process."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from logpipe import get_logger, log_event
from svc2 import keys
from svc2.cleaning import clean
from webcore.errors import ApiError, InvalidRequest
from webcore.jsonbody import is_unicode_text, parse_json
from webcore.limits import ID_MAX, TEXT_MAX, USER_MAX

log = get_logger("svc2.views")
MAX_FIELD = {"id": ID_MAX, "user": USER_MAX, "text": TEXT_MAX}


def authorize(request: web.Request) -> None:
    expected = f"Bearer {request.app[keys.SETTINGS].service_token}".encode()
    given = request.headers.get("Authorization", "").encode()
    # Constant time: the comparison must not tell an attacker how much of the token was right.
    if not hmac.compare_digest(given, expected):
        log_event(log, "auth.refused", "missing or wrong service token", level=logging.WARNING)
        raise ApiError(
            401, "unauthorized", "missing or wrong service token", headers={"WWW-Authenticate": "Bearer"}
        )


def parse(body: bytes) -> dict[str, str]:
    data = parse_json(body)
    if not isinstance(data, dict):
        raise InvalidRequest("body must be a JSON object")
    for name, limit in MAX_FIELD.items():
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidRequest(f'field "{name}" must be a non-empty string')
        if len(value) > limit:
            raise InvalidRequest(f'field "{name}" must be at most {limit} characters')
        if not is_unicode_text(value):
            raise InvalidRequest(f'field "{name}" must be Unicode text (it holds an unpaired surrogate)')
    return {name: data[name] for name in MAX_FIELD}


async def process(request: web.Request) -> web.Response:
    authorize(request)
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    message = parse(await request.read())
    log_event(log, "message.received", "message received from service_1", message_id=message["id"])
    cleaned = clean(message["text"])
    log_event(
        log,
        "message.processed",
        "message validated and cleaned",
        message_id=message["id"],
        valid=cleaned.valid,
        changed=cleaned.checks["changed"],
        kinds=cleaned.checks["sensitive_kinds"],
    )
    body = {"id": message["id"], "clean_text": cleaned.clean_text, "valid": cleaned.valid}
    return web.json_response(body | {"checks": cleaned.checks})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    # service_2 holds no connection of its own: up is ready.
    return web.json_response({"status": "ready", "checks": {}})


async def metrics(request: web.Request) -> web.Response:
    return request.app[keys.METRICS].render()
