"""Sensitive-data detection (pure) and alert reports (atomic files). Depends on nothing of ours.

``scan`` is the compiled engine when a current build is installed (alerts.native), else the pure-Python one;
both come from the same source files. ``ENGINE`` says which one this process uses.
"""

from alerts import native
from alerts.detector import scan as python_scan
from alerts.findings import Finding, mask
from alerts.kinds import ALERT_TYPES, KIND_TO_TYPE, alert_type_for

_compiled = native.load()
scan: native.Scan = _compiled or python_scan
ENGINE = "compiled" if _compiled is not None else "python"

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
