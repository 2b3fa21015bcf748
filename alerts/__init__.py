"""Sensitive-data detection (pure) and alert reports (atomic files). Depends on nothing of ours.

``scan`` is the compiled engine when a current build is installed (alerts.native), else the pure-Python one;
both come from the same source files. ``ENGINE`` says which one this process uses.
"""

from typing import Any

from alerts import native
from alerts.findings import Finding, mask
from alerts.kinds import ALERT_TYPES, KIND_TO_TYPE, alert_type_for

_compiled = native.load()
if _compiled is not None:
    scan: native.Scan = _compiled
else:
    from alerts.detector import scan
ENGINE = "compiled" if _compiled is not None else "python"


def __getattr__(name: str) -> Any:
    # The pure-Python engine is imported only when asked for (tests and the benchmark compare the two):
    # a process running the compiled one would otherwise compile every pattern twice at start (~0.2 s).
    if name == "python_scan":
        from alerts.detector import scan as python_scan

        return python_scan
    raise AttributeError(f"module 'alerts' has no attribute {name!r}")


__all__ = [
    "ALERT_TYPES",
    "ENGINE",
    "KIND_TO_TYPE",
    "Finding",
    "alert_type_for",
    "mask",
    "python_scan",
    "scan",
]
