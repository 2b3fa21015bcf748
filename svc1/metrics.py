"""service_1's metrics: HTTP by route and status, messages by outcome, alerts by type (never a value)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from webcore.metrics import HttpMetrics


class Svc1Metrics(HttpMetrics):
    def __init__(self) -> None:
        super().__init__("service_1")
        self.messages = Counter(
            "messages",
            "Messages by outcome: queued, processed, sensitive, invalid, overloaded, broker_unavailable,"
            " upstream_error",
            ["outcome"],
            namespace="service_1",
            registry=self.registry,
        )
        self.alerts = Counter(
            "alerts", "Alerts raised, by type", ["type"], namespace="service_1", registry=self.registry
        )
        self.backlog = Gauge(
            "backlog",
            "Jobs waiting in the queue for a worker (as last seen); past MAX_BACKLOG, POST answers 429",
            namespace="service_1",
            registry=self.registry,
        )
        # Label lookups take a lock and a dict walk; each outcome's child is looked up once.
        self._outcomes: dict[str, Counter] = {}

    def outcome(self, name: str) -> Counter:
        child = self._outcomes.get(name)
        if child is None:
            child = self._outcomes[name] = self.messages.labels(name)
        return child
