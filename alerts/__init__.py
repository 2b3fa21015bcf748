"""Sensitive-data detection (pure) and alert reports (atomic files). Depends on nothing of ours.

``scan`` is one pure-Python engine (alerts.detector). ``ENGINE`` names it: service_1 logs it at start.
"""

from typing import Final

from alerts.detector import scan
from alerts.findings import Finding, mask
from alerts.kinds import ALERT_TYPES, KIND_TO_TYPE, alert_type_for

# Kept for what logs it (service_1's start line, detector_engine): there is one engine now.
ENGINE: Final = "python"

__all__ = [
    "ALERT_TYPES",
    "ENGINE",
    "KIND_TO_TYPE",
    "Finding",
    "alert_type_for",
    "mask",
    "scan",
]
