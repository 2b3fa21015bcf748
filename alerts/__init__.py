"""Sensitive-data detection (pure) and alert reports (atomic files). Depends on nothing of ours.

``scan`` is the one engine, pure Python (alerts.detector): text in, findings out, linear in the text.
"""

from alerts.detector import scan
from alerts.findings import Finding, mask
from alerts.kinds import ALERT_TYPES, KIND_TO_TYPE, alert_type_for

__all__ = [
    "ALERT_TYPES",
    "KIND_TO_TYPE",
    "Finding",
    "alert_type_for",
    "mask",
    "scan",
]
