"""Alert reports: one JSON file per alert in the report directory, written atomically and fsynced.

A flood of alerts of one type (garbage requests, say) must not fill the disk: at most ``limit`` reports per
type per minute are written, and the rest are counted into one summary report for that minute.
File I/O happens here, so services call :meth:`ReportWriter.write` from an executor, never on the loop.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.findings import Finding, kinds_of

WINDOW_SECONDS = 60.0


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    time: str
    type: str
    description: str
    service: str
    request_id: str | None
    # The detector's own findings, from the scan to the report; the report renders each as_dict().
    findings: tuple[Finding, ...] = ()

    @property
    def kinds(self) -> list[str]:
        return kinds_of(self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "type": self.type,
            "description": self.description,
            "service": self.service,
            "request_id": self.request_id,
            "findings": [f.as_dict() for f in self.findings],
        }


def new_alert(
    alert_type: str,
    description: str,
    *,
    service: str,
    request_id: str | None,
    findings: Sequence[Finding] = (),
) -> Alert:
    return Alert(
        id=uuid.uuid4().hex,
        time=utc_now_iso(),
        type=alert_type,
        description=description,
        service=service,
        request_id=request_id,
        findings=tuple(findings),
    )


def report_filename(alert: Alert) -> str:
    stamp = alert.time.replace("-", "").replace(":", "")
    return f"{stamp}_{alert.type}_{alert.id}.json"


def write_atomic(directory: Path, name: str, payload: dict[str, Any]) -> Path:
    """Writes ``payload`` so that a reader sees either no file or the whole file, even after a crash."""
    data = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        final = directory / name
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


@dataclass
class _Window:
    started: float
    written: int = 0
    suppressed: int = 0
    first_suppressed: str | None = None
    last_suppressed: str | None = None


@dataclass
class ReportWriter:
    directory: Path
    limit_per_minute: int = 120
    service: str = "service_1"
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, alert: Alert) -> Path | None:
        """Writes the report, or counts it into the minute's summary. Returns the file written, if any."""
        with self._lock:
            now = self.clock()
            window = self._windows.get(alert.type)
            if window is None or now - window.started >= WINDOW_SECONDS:
                if window is not None:
                    self._write_summary(alert.type, window)
                window = self._windows[alert.type] = _Window(started=now)
            if window.written >= self.limit_per_minute:
                window.suppressed += 1
                window.first_suppressed = window.first_suppressed or alert.time
                window.last_suppressed = alert.time
                return None
            window.written += 1
            return write_atomic(self.directory, report_filename(alert), alert.as_dict())

    def flush(self) -> list[Path]:
        """Writes the summaries of windows that are over (all of them when shutting down: ``force``)."""
        return self._flush(force=False)

    def close(self) -> list[Path]:
        return self._flush(force=True)

    def _flush(self, *, force: bool) -> list[Path]:
        written: list[Path] = []
        with self._lock:
            now = self.clock()
            for alert_type, window in list(self._windows.items()):
                if force or now - window.started >= WINDOW_SECONDS:
                    path = self._write_summary(alert_type, window)
                    if path is not None:
                        written.append(path)
                    del self._windows[alert_type]
        return written

    def _write_summary(self, alert_type: str, window: _Window) -> Path | None:
        if not window.suppressed:
            return None
        summary = new_alert(
            alert_type,
            f"{window.suppressed} further {alert_type} alerts between {window.first_suppressed} and "
            f"{window.last_suppressed} were not written one by one (limit {self.limit_per_minute}/min)",
            service=self.service,
            request_id=None,
        )
        payload = summary.as_dict() | {"summary": True, "suppressed": window.suppressed}
        window.suppressed = 0
        return write_atomic(self.directory, report_filename(summary), payload)
