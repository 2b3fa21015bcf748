"""Prometheus metrics of an HTTP service, in a registry of its own so that several apps share a process."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    def __init__(self, namespace: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            namespace=namespace,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template and method",
            ["route", "method"],
            namespace=namespace,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        # A label lookup takes a lock and builds a key; each combination's children are looked up once.
        # Routes are templates and methods and statuses few, so this stays small.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        children = self._children.get((route, method, status))
        if children is None:
            children = (self.requests.labels(route, method, str(status)), self.latency.labels(route, method))
            self._children[(route, method, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> web.Response:
        resp = web.Response(body=generate_latest(self.registry))
        resp.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        return resp


def route_label(request: web.Request) -> str:
    """The route's template, never the raw path: a path may carry anything, labels must not."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"
