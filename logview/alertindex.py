"""Alerts (records with event ``alert.created``), counted by type, kept up to date incrementally.

The first request scans every file forward once, skipping chunks that do not even contain the bytes
``alert.created``; later requests read only what was appended since. Offsets are keyed by inode so a
renamed (rotated) file is not counted twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

from logview.reader import complete_lines, discover, parse_line
from logview.redact import redact

EVENT = "alert.created"
NEEDLE = b"alert.created"
TYPES: dict[str, str] = {
    "Credential": "Passwords, API keys, tokens or private keys in a message",
    "FinancialData": "Card numbers or IBANs in a message",
    "GovernmentId": "Government identifiers such as social security numbers",
    "PersonalData": "E-mail addresses, phone numbers or IP addresses in a message",
    "InvalidInput": "A rejected, malformed request",
}
_FINDING_KEYS = ("kind", "start", "end", "masked")


def alert_view(rec: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the panel shows: findings keep kind, offsets and masked form, nothing else."""
    findings = []
    for f in rec.get("findings") or []:
        if isinstance(f, dict):
            findings.append({k: f.get(k) for k in _FINDING_KEYS})
    kinds = rec.get("kinds")
    view = {
        "alert_id": rec.get("alert_id"),
        "alert_type": rec.get("alert_type") if isinstance(rec.get("alert_type"), str) else "Unknown",
        "kinds": [k for k in kinds if isinstance(k, str)] if isinstance(kinds, list) else [],
        "description": rec.get("description") or rec.get("message"),
        "findings": findings,
        "report": rec.get("report"),
        "time": rec.get("time"),
        "service": rec.get("service"),
        "request_id": rec.get("request_id"),
        "record_id": rec.get("record_id"),
    }
    return redact(view)


class AlertIndex:
    """Thread-safe; ``refresh`` is blocking I/O and belongs in an executor."""

    def __init__(self, root: Path, keep: int = 50) -> None:
        self.root = root
        self.keep = keep
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._offsets: dict[tuple[int, int], int] = {}
        self._seen: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.kind_counts: dict[str, Counter[str]] = {}
        self.latest: list[dict[str, Any]] = []

    def refresh(self) -> dict[str, Any]:
        with self._lock:
            files = discover(self.root)
            if any(self._offsets.get(lf.inode, 0) > lf.size for lf in files):
                self._reset()  # a file was truncated and rewritten: counting again is the only honest way
            fresh: list[dict[str, Any]] = []
            for lf in files:
                start = self._offsets.get(lf.inode, 0)
                if start >= lf.size:
                    continue
                end = start
                try:
                    with lf.path.open("rb") as fh:
                        for line_end, raw in complete_lines(fh, start, lf.size, needle=NEEDLE):
                            end = line_end
                            if NEEDLE in raw:
                                rec = parse_line(raw)
                                if rec is not None and rec.get("event") == EVENT:
                                    fresh.append(rec)
                except OSError:
                    continue
                self._offsets[lf.inode] = max(end, start)
            for rec in fresh:
                self._add(rec)
            if fresh:
                self.latest.sort(key=lambda a: str(a.get("time") or ""), reverse=True)
                del self.latest[self.keep * len(TYPES) :]
            return self.snapshot()

    def _add(self, rec: dict[str, Any]) -> None:
        key = str(rec.get("alert_id") or rec.get("record_id") or "")
        if key:
            if key in self._seen:
                return  # a record delivered twice (forward-protocol retry) is one alert
            self._seen.add(key)
        view = alert_view(rec)
        alert_type = view["alert_type"]
        self.counts[alert_type] += 1
        kc = self.kind_counts.setdefault(alert_type, Counter())
        for kind in view["kinds"]:
            kc[kind] += 1
        self.latest.append(view)

    def snapshot(self) -> dict[str, Any]:
        names = list(TYPES) + sorted(t for t in self.counts if t not in TYPES)
        types = []
        for name in names:
            latest = [a for a in self.latest if a["alert_type"] == name][: self.keep]
            types.append(
                {
                    "type": name,
                    "description": TYPES.get(name, "Alerts of a type this viewer does not know"),
                    "count": self.counts.get(name, 0),
                    "kinds": dict(self.kind_counts.get(name, Counter()).most_common()),
                    "latest": latest,
                }
            )
        return {"total": sum(self.counts.values()), "types": types, "latest": self.latest[: self.keep]}
