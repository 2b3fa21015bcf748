"""service_1's metrics: HTTP by route and status, messages by outcome, alerts by type (never a value)."""

from __future__ import annotations

from prometheus_client import Counter

from webcore.metrics import HttpMetrics


class Svc1Metrics(HttpMetrics):
    def __init__(self) -> None:
        super().__init__("service_1")
        self.messages = Counter(
            "messages",
            "Messages by outcome: queued, processed, sensitive, invalid, broker_unavailable, upstream_error",
            ["outcome"],
            namespace="service_1",
            registry=self.registry,
        )
        self.alerts = Counter(
            "alerts", "Alerts raised, by type", ["type"], namespace="service_1", registry=self.registry
        )
