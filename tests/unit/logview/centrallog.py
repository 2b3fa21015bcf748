"""Writes central-log files the way the collector and Fluentd do: ``<root>/<tag>/<date>.log``, JSON lines."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 11, 29, 6, 0, 0, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rec(
    seconds: float,
    service: str = "service_1",
    event: str = "message.received",
    *,
    level: str = "INFO",
    request_id: str | None = None,
    message: str = "",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "time": iso(T0 + timedelta(seconds=seconds)),
        "level": level,
        "service": service,
        "event": event,
        "request_id": request_id,
        "message": message or event.replace(".", " "),
        "record_id": uuid.uuid4().hex,
        "tag": f"app.{service}",
        **extra,
    }


def write(
    root: Path, records: list[dict[str, Any]], *, name: str = "2026-11-29.log", tail: bytes = b""
) -> Path:
    """Appends ``records`` to the file of their tag; ``tail`` is raw bytes after them (a torn line)."""
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_tag.setdefault(r["tag"], []).append(r)
    path = root
    for tag, recs in by_tag.items():
        path = root / tag / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False).encode() + b"\n")
            fh.write(tail)
    return path


def alert(seconds: float, alert_type: str, kinds: list[str], request_id: str, masked: str) -> dict[str, Any]:
    return rec(
        seconds,
        "service_1",
        "alert.created",
        level="WARNING",
        request_id=request_id,
        message=f"{alert_type} alert",
        alert_id=uuid.uuid4().hex,
        alert_type=alert_type,
        kinds=kinds,
        description=f"{', '.join(kinds)} found in text",
        findings=[{"kind": kinds[0], "start": 3, "end": 20, "masked": masked}],
        report=f"20261129T060000Z_{alert_type}_x.json",
    )
