"""Raising an alert: the report file (off the loop, awaited before the answer), the log line, the metric."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web

from alerts import Finding
from alerts.reports import Alert, new_alert
from logpipe import get_logger, log_event, request_id_var
from svc1 import keys

log = get_logger("svc1.alerts")
SERVICE = "service_1"


async def raise_alert(
    app: web.Application,
    alert_type: str,
    description: str,
    findings: Sequence[Finding] = (),
) -> Alert:
    alert = new_alert(
        alert_type, description, service=SERVICE, request_id=request_id_var.get(), findings=findings
    )
    loop = asyncio.get_running_loop()
    report = None
    try:
        path = await loop.run_in_executor(app[keys.FILES], app[keys.REPORTS].write, alert)
        report = path.name if path is not None else None
    except OSError as exc:
        # A full or broken disk must not turn a rejection into a 500; the log line still tells.
        log_event(log, "report.failed", "alert report not written", level=logging.ERROR, error=str(exc))
    app[keys.METRICS].alerts.labels(alert_type).inc()
    log_event(
        log,
        "alert.created",
        description,
        level=logging.WARNING,
        alert_id=alert.id,
        alert_type=alert.type,
        kinds=alert.kinds,
        description=description,
        findings=[f.as_dict() for f in alert.findings],
        report=report,
    )
    return alert
