"""service_1 under load while the collector is SIGKILLed and restarted: every record stored exactly once,
and requests during the outage are as fast as before it (the request path never waits on the collector)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.procs import Proc
from tests.integration.logpipe.helpers import (
    central_id_counts,
    free_port,
    local_records,
    start_collector,
    wait_until,
)
from tests.support.stack import Stack, make_stack

# Generous on purpose: two CPUs shared with Redis, svc2 and the collector make single requests noisy; a
# request path that waited on the collector (connect timeouts, blocking sends) would be many times slower.
MAX_SLOWDOWN = 2.5


@pytest.fixture
def system(tmp_path: Path, redis_url: str) -> Iterator[tuple[Stack, int]]:
    port = free_port()
    stack = make_stack(
        tmp_path, redis_url, FLUENTD_ENABLED="1", FLUENTD_PORT=str(port), LOG_FLUENT_RETRY_MAX="0.5"
    )
    try:
        yield stack, port
    finally:
        stack.stop()


def post_timed(stack: Stack, n: int, tag: str) -> list[float]:
    latencies = []
    for i in range(n):
        started = time.perf_counter()
        code, _, body = stack.post({"user": "alice", "text": f"hello number {i} from the {tag} batch"})
        latencies.append(time.perf_counter() - started)
        assert code == 202, body
    return latencies


def test_collector_outage_under_service_1(system: tuple[Stack, int], tmp_path: Path) -> None:
    stack, port = system
    central = Path(stack.env["CENTRAL_LOG_DIR"])
    collector_dir = tmp_path / "collector"
    procs: list[Proc] = [start_collector(collector_dir, port, CENTRAL_LOG_DIR=str(central))]
    try:
        stack.start_svc2()
        stack.start_svc1()
        post_timed(stack, 10, "warm-up")
        before = post_timed(stack, 60, "before")

        procs[0].kill()
        procs[0].popen.wait(5)
        during = post_timed(stack, 60, "during")
        spool = stack.log_dir / "spool"
        assert list(spool.rglob("*.spool")), "service_1's records wait in its spool during the outage"

        procs.append(start_collector(collector_dir, port, CENTRAL_LOG_DIR=str(central)))

        def all_stored() -> bool:
            wanted = {r["record_id"] for r in local_records(stack.log_dir / "service_1.txt")}
            return wanted <= set(central_id_counts(central))

        wait_until(all_stored, timeout=30)
        wait_until(lambda: not list(spool.rglob("*.spool")), timeout=10)
    finally:
        for proc in procs:
            proc.stop()

    counts = central_id_counts(central)
    local = local_records(stack.log_dir / "service_1.txt")
    assert {r["record_id"] for r in local} <= set(counts)
    assert max(counts.values()) == 1, "exactly once: retries are deduplicated by record_id"
    received = [r for r in local if r.get("event") == "message.received"]
    assert len(received) >= 130 and all(r["request_id"] for r in received)

    median_before, median_during = statistics.median(before), statistics.median(during)
    print(
        f"median latency before {median_before * 1e3:.2f} ms, during the outage {median_during * 1e3:.2f} ms"
    )
    assert median_during <= MAX_SLOWDOWN * median_before
