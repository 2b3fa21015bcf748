"""Defence in depth for the one rule: nothing the detector recognises leaves the viewer unmasked.

The services mask before they log, so this normally changes nothing. But the viewer is the place where
the central log meets a browser, so a value that slipped through upstream (a bug, an old log, a hand-fed
record) is masked here too instead of being served.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from alerts import scan
from logpipe import get_logger, log_event

# Fields the pipeline itself writes; their values are identifiers and times, never user text, and
# scanning them would only produce false positives (a request id that looks like a phone number).
STRUCTURAL = frozenset(
    {
        "time",
        "level",
        "service",
        "event",
        "request_id",
        "record_id",
        "tag",
        "alert_id",
        "alert_type",
        "kinds",
        "report",
        "logger",
        "name",
        "taskName",
        "task_id",
        "id",
        "message_id",
    }
)
MARK = "logview_redacted"
WITHHELD = "[withheld: the detector failed on this value]"
log = get_logger("logview.redact")
_failures = {"last": float("-inf")}


def _report_failure(exc: Exception) -> None:
    now = time.monotonic()
    if now - _failures["last"] > 60:  # the log should show it, not drown in it
        _failures["last"] = now
        # The type only: an exception's text or traceback could quote the value being scanned.
        log_event(
            log,
            "redact.failed",
            "detector failed; value withheld",
            level=logging.ERROR,
            error=type(exc).__name__,
        )


def _mask_text(text: str, kinds: set[str]) -> str:
    try:
        findings = scan(text)
    except Exception as exc:
        # Fail closed: a value the detector could not judge is withheld, never served as it is.
        _report_failure(exc)
        kinds.add("unscanned")
        return WITHHELD
    if not findings:
        return text
    out: list[str] = []
    pos = 0
    for f in findings:
        if f.start < pos:
            continue  # overlapping findings: the first already covers this span
        out.append(text[pos : f.start])
        out.append(f.masked)
        pos = f.end
        kinds.add(f.kind)
    out.append(text[pos:])
    return "".join(out)


def _walk(value: Any, kinds: set[str], depth: int) -> Any:
    if isinstance(value, str):
        return _mask_text(value, kinds)
    if depth > 8:
        return value if not isinstance(value, (dict, list)) else "[nested too deep]"
    if isinstance(value, dict):
        return {k: (v if k in STRUCTURAL else _walk(v, kinds, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, kinds, depth + 1) for v in value]
    return value


def redact(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with every detected value replaced by its masked form (and marked so)."""
    kinds: set[str] = set()
    out: dict[str, Any] = _walk(record, kinds, 0)
    if kinds:
        out[MARK] = sorted(kinds)
    return out
