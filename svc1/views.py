"""service_1's handlers. ``post_message`` reads like the request path: parse, validate, scan, then alert,
forward or enqueue — each step a small function of its own module."""

from __future__ import annotations

import contextlib
import logging

import aiohttp
import redis.exceptions
from aiohttp import web

from alerts import Finding
from alerts.kinds import INVALID_INPUT
from logpipe import get_logger, log_event, request_id_var
from svc1 import admission, keys, store, upstream
from svc1.admission import Admission, Answer
from svc1.alerting import raise_alert
from svc1.broker import BacklogFull, BrokerUnavailable, Refused
from svc1.scanning import describe, scan_message
from svc1.validation import MessageIn, check_content_type, parse_message
from webcore.errors import ApiError
from webcore.ids import fresh_id

log = get_logger("svc1.views")
IDEMPOTENCY_HEADER = "Idempotency-Key"


async def post_message(request: web.Request) -> web.Response:
    app = request.app
    settings = app[keys.SETTINGS]
    log_event(log, "message.received", "message received", content_length=request.content_length)
    try:
        check_content_type(request.content_type)
        message = parse_message(await request.read())
        adm = admission.admission(
            message, request.headers.get(IDEMPOTENCY_HEADER), settings.user_rate, settings.user_burst
        )
    except ApiError as err:
        await reject_invalid(app, err)
        raise
    message_id = fresh_id()
    findings = scan_message(message)
    if findings:
        return await reject_sensitive(app, message_id, findings)
    if message.mode == "sync":
        return await forward(app, message_id, message, adm)
    return await enqueue(app, message_id, message, adm)


async def reject_invalid(app: web.Application, err: ApiError) -> None:
    app[keys.METRICS].outcome("invalid").inc()
    log_event(
        log,
        "message.rejected",
        "invalid request",
        level=logging.WARNING,
        reason=err.code,
        detail=err.detail,
        status=err.status,
    )
    await raise_alert(app, INVALID_INPUT, f"{err.code}: {err.detail}")


async def reject_sensitive(app: web.Application, message_id: str, findings: list[Finding]) -> web.Response:
    alert_type, description, kinds = describe(findings)
    app[keys.METRICS].outcome("sensitive").inc()
    log_event(
        log,
        "message.rejected",
        "sensitive data; not forwarded",
        level=logging.WARNING,
        message_id=message_id,
        reason="sensitive_data",
        kinds=kinds,
    )
    alert = await raise_alert(app, alert_type, description, findings)
    body = {
        "error": "sensitive_data",
        "detail": f"the message holds sensitive data ({', '.join(kinds)}); it was not accepted",
        "alert": {"id": alert.id, "type": alert.type, "kinds": kinds},
    }
    return web.json_response(body, status=422)


def answered(answer: Answer) -> web.Response:
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def refused(app: web.Application, err: ApiError, message_id: str) -> ApiError:
    """Counts a refusal by admission (rate, idempotency); one metric, no alert report per request."""
    app[keys.METRICS].outcome(err.code).inc()
    log_event(log, "message.refused", err.detail, level=logging.DEBUG, message_id=message_id, reason=err.code)
    return err


def repeated(app: web.Application, answer: Answer) -> web.Response:
    app[keys.METRICS].outcome("repeated").inc()
    log_event(
        log,
        "message.repeated",
        "idempotent repeat: the first answer, nothing done again",
        message_id=answer.body.get("id"),
        status=answer.status,
    )
    return answered(answer)


async def admit(app: web.Application, adm: Admission, message_id: str) -> Answer | None:
    """The checks outside the enqueue script: None to go on, or the first answer of a repeat."""
    settings = app[keys.SETTINGS]
    try:
        return await admission.begin(app[keys.ADMIT], app[keys.STORE], adm, settings.svc2_timeout + 1)
    except ApiError as err:
        raise refused(app, err, message_id) from None
    except redis.exceptions.RedisError as exc:
        raise broker_unavailable(app, message_id, type(exc).__name__) from None


def broker_unavailable(app: web.Application, message_id: str, error: str) -> ApiError:
    app[keys.METRICS].outcome("broker_unavailable").inc()
    log_event(
        log, "message.failed", "broker unavailable", level=logging.ERROR, message_id=message_id, error=error
    )
    retry = max(1, round(app[keys.SETTINGS].broker_retry_after))
    return ApiError(
        503,
        "broker_unavailable",
        "the message broker is unreachable; try again later",
        headers={"Retry-After": str(retry)},
    )


async def enqueue(app: web.Application, message_id: str, message: MessageIn, adm: Admission) -> web.Response:
    settings = app[keys.SETTINGS]
    publisher = app[keys.PUBLISHER]
    metrics = app[keys.METRICS]
    answer = Answer(202, {"id": message_id, "status": "queued"}, {"Location": f"/messages/{message_id}"})
    checked_here = not publisher.admits
    if checked_here:
        first = await admit(app, adm, message_id)
        if first is not None:
            return repeated(app, first)
    try:
        first_json = await publisher.publish(
            message_id,
            message.text,
            request_id_var.get(),
            adm,
            answer.record(adm.body_hash) if adm.idem_key else "",
        )
    except BacklogFull as full:
        if checked_here:
            await release_quietly(app, adm)
        metrics.outcome("overloaded").inc()
        metrics.backlog.set(full.depth)
        log_event(
            log,
            "message.refused",
            "backlog full; not queued",
            level=logging.WARNING,
            message_id=message_id,
            backlog=full.depth,
        )
        raise ApiError(
            429,
            "overloaded",
            f"more than {settings.max_backlog} messages are waiting; try again later",
            headers={"Retry-After": str(max(1, round(settings.overload_retry_after)))},
        ) from None
    except Refused as no:
        raise refused(app, admission.refusal(no.code, no.value), message_id) from None
    except BrokerUnavailable as exc:
        if checked_here:
            await release_quietly(app, adm)
        raise broker_unavailable(app, message_id, str(exc)) from None
    if first_json is not None:
        return repeated(app, Answer.decode(first_json))
    if not publisher.records_status:
        try:
            await store.mark_queued(app[keys.STORE], message_id, settings.result_ttl_seconds)
        except redis.exceptions.RedisError as exc:
            # The job is in the broker and the worker writes its own status; the caller's 202 stands.
            log_event(log, "store.failed", "status not stored", level=logging.WARNING, error=str(exc))
    if checked_here:
        await store_answer_quietly(app, adm, answer)
    metrics.outcome("queued").inc()
    metrics.backlog.set(publisher.depth)
    log_event(
        log,
        "message.queued",
        "message queued for analysis",
        message_id=message_id,
        text_length=len(message.text),
    )
    return answered(answer)


async def forward(app: web.Application, message_id: str, message: MessageIn, adm: Admission) -> web.Response:
    settings = app[keys.SETTINGS]
    first = await admit(app, adm, message_id)
    if first is not None:
        return repeated(app, first)
    try:
        result = await upstream.process(
            app[keys.HTTP],
            settings.svc2_url,
            settings.service_token,
            settings.svc2_timeout,
            message_id,
            message,
            request_id_var.get(),
        )
    except ApiError as err:
        await release_quietly(app, adm)
        app[keys.METRICS].outcome("upstream_error").inc()
        log_event(
            log,
            "message.failed",
            "service_2 failed",
            level=logging.ERROR,
            message_id=message_id,
            error=err.code,
            detail=err.detail,
        )
        raise
    app[keys.METRICS].outcome("processed").inc()
    log_event(
        log,
        "message.forwarded",
        "message processed by service_2",
        message_id=message_id,
        text_length=len(message.text),
        valid=result.get("valid"),
    )
    answer = Answer(200, {"id": message_id, "status": "processed", "result": result}, {})
    try:
        await store.mark_done(app[keys.STORE], message_id, result, settings.result_ttl_seconds)
    except redis.exceptions.RedisError as exc:
        log_event(log, "store.failed", "status not stored", level=logging.WARNING, error=type(exc).__name__)
    await store_answer_quietly(app, adm, answer)
    return answered(answer)


async def store_answer_quietly(app: web.Application, adm: Admission, answer: Answer) -> None:
    try:
        await admission.store_answer(app[keys.STORE], adm, answer, app[keys.SETTINGS].idempotency_ttl)
    except redis.exceptions.RedisError as exc:
        # The work is done and answered; a repeat now would be done again, so say so where it is seen.
        log_event(
            log,
            "store.failed",
            "idempotency answer not stored",
            level=logging.WARNING,
            error=type(exc).__name__,
        )


async def release_quietly(app: web.Application, adm: Admission) -> None:
    with contextlib.suppress(redis.exceptions.RedisError):
        await admission.release(app[keys.STORE], adm)


async def get_message(request: web.Request) -> web.Response:
    message_id = request.match_info["id"]
    try:
        record = await store.get(request.app[keys.STORE], message_id)
    except redis.exceptions.RedisError:
        raise ApiError(503, "store_unavailable", "the status store is unreachable; try again later") from None
    if record is None:
        raise ApiError(404, "not_found", "no message with this id")
    return web.json_response({"id": message_id, "status": record["status"], "result": record.get("result")})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    checks: dict[str, str] = {}
    publisher = app[keys.PUBLISHER]
    broker_error = await publisher.check()
    checks["broker"] = broker_error or "ok"
    backlog: int | None = None
    if broker_error is None:
        with contextlib.suppress(Exception):
            backlog = await publisher.backlog()
            app[keys.METRICS].backlog.set(backlog)
    settings = app[keys.SETTINGS]
    try:
        probe = aiohttp.ClientTimeout(total=1.0)
        async with app[keys.HTTP].get(f"{settings.svc2_url}/healthz", timeout=probe) as resp:
            checks["service_2"] = "ok" if resp.status == 200 else f"answered {resp.status}"
    except Exception as exc:
        checks["service_2"] = type(exc).__name__
    ready = all(v == "ok" for v in checks.values())
    failed = [name for name, v in checks.items() if v != "ok"]
    body: dict[str, object] = {"status": "ready" if ready else "not_ready", "checks": checks}
    body["backlog"] = {"waiting": backlog, "limit": app[keys.SETTINGS].max_backlog or None}
    if not ready:
        body |= {"error": "not_ready", "detail": f"unavailable: {', '.join(failed)}"}
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    with contextlib.suppress(Exception):
        app[keys.METRICS].backlog.set(await app[keys.PUBLISHER].backlog())
    return app[keys.METRICS].render()
