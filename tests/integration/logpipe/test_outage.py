"""Nothing lost: the collector killed (SIGKILL) under a logging process, restarted, every record stored once.

Also: the spool drains with no new traffic, a full spool drops the oldest and says so, and shutdown is
bounded when the collector is gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.procs import PYTHON, ROOT, Proc, start
from logpipe.forward import FluentForwarder
from tests.integration.logpipe.helpers import (
    central_id_counts,
    central_records,
    free_port,
    local_records,
    start_collector,
    wait_until,
)

LOOP_SCRIPT = ROOT / "tests" / "integration" / "logpipe" / "log_loop.py"


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        proc.stop()


def settled(read: Callable[[], list[str]], quiet: float = 0.3) -> list[str]:
    """What ``read`` returns once two reads ``quiet`` seconds apart agree."""
    before = read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = read()
        if now == before:
            return now
        before = now
    raise TimeoutError("the log kept growing")


def spool_files(log_dir: Path) -> list[Path]:
    return list((log_dir / "spool").rglob("*.spool"))


def test_collector_killed_and_restarted_loses_and_duplicates_nothing(
    tmp_path: Path, procs: list[Proc]
) -> None:
    port = free_port()
    log_dir, central, control = tmp_path / "logs", tmp_path / "central", tmp_path / "control"
    control.mkdir()
    collector = start_collector(tmp_path, port)
    procs.append(collector)
    env = {
        "LOG_DIR": str(log_dir),
        "FLUENTD_PORT": str(port),
        "LOOP_DIR": str(control),
        "LOG_FLUENT_RETRY_MAX": "0.5",
        "PYTHONPATH": str(ROOT),
    }
    looper = start("looper", [PYTHON, str(LOOP_SCRIPT)], env=env, workdir=tmp_path / "out")
    procs.append(looper)
    local = log_dir / "looper.txt"

    wait_until(lambda: len(central_records(central)) >= 50, timeout=20)
    collector.kill()  # SIGKILL: no goodbye, whatever it had not acked is the sender's problem
    collector.popen.wait(5)
    at_kill = len(local_records(local))
    wait_until(lambda: len(local_records(local)) >= at_kill + 300 and spool_files(log_dir), timeout=20)

    # Stop the traffic: the spool must drain on the sender's own timer, not on the next record.
    (control / "pause").touch()
    wait_until(lambda: (control / "paused").exists(), timeout=10)
    # Lines reach the file in batches (every 50 ms): take the list once it has stopped growing.
    expected = settled(lambda: [r["record_id"] for r in local_records(local)])
    assert spool_files(log_dir), "records logged during the outage wait in the spool"

    procs.append(start_collector(tmp_path, port))
    wait_until(lambda: set(expected) <= set(central_id_counts(central)), timeout=30)
    wait_until(lambda: not spool_files(log_dir), timeout=10)
    counts = central_id_counts(central)
    assert [rid for rid, c in counts.items() if c > 1] == []
    assert len(local_records(local)) == len(expected), "nothing was logged while paused"

    # In order: within the store, the looper's records appear in the order they were made.
    stored_n = [r["n"] for r in central_records(central) if r.get("event") == "loop.tick"]
    assert stored_n == sorted(stored_n)

    # The request id of each record made it through.
    assert all(r["request_id"] == f"loop-{r['n']}" for r in central_records(central) if r.get("n"))

    # Clean shutdown flushes the rest.
    (control / "pause").unlink()
    wait_until(lambda: len(local_records(local)) > len(expected) + 20, timeout=10)
    looper.stop()
    assert "delivered=True" in looper.text()
    final = central_id_counts(central)
    assert set(final) >= {r["record_id"] for r in local_records(local)}
    assert max(final.values()) == 1


def entry(n: int) -> list[tuple[float, dict[str, Any] | str]]:
    return [(time.time(), {"message": "x" * 200, "n": n, "record_id": f"spool-{n}"})]


def test_full_spool_drops_oldest_counts_it_and_sends_the_rest_in_order(
    tmp_path: Path, procs: list[Proc]
) -> None:
    port = free_port()  # nothing listens yet
    forwarder = FluentForwarder(
        "app.spooltest",
        host="127.0.0.1",
        port=port,
        spool_dir=tmp_path / "spool",
        spool_max_bytes=20_000,
        segment_bytes=4_000,
        timeout=2.0,
        retry_max_seconds=0.2,
    )
    forwarder.start()
    for n in range(400):
        forwarder.submit_records(entry(n))
    wait_until(lambda: forwarder.stats.spooled + forwarder.stats.sent >= 400, timeout=10)
    assert forwarder.stats.dropped > 0
    assert forwarder.spool.size <= 20_000

    procs.append(start_collector(tmp_path, port))
    wait_until(lambda: forwarder.pending() == 0, timeout=20)
    assert forwarder.stop(5.0)
    stored = [r["n"] for r in central_records(tmp_path / "central")]
    assert stored == list(range(400 - len(stored), 400)), "the newest survive, in order"
    assert len(stored) + forwarder.stats.dropped == 400


def test_shutdown_is_bounded_and_the_next_start_sends_what_was_left(
    tmp_path: Path, procs: list[Proc]
) -> None:
    port = free_port()

    def make() -> FluentForwarder:
        return FluentForwarder(
            "app.shutdown",
            host="127.0.0.1",
            port=port,
            spool_dir=tmp_path / "spool",
            spool_max_bytes=10_000_000,
            segment_bytes=64_000,
            timeout=2.0,
            retry_max_seconds=0.2,
        )

    first = make()
    first.start()
    for n in range(50):
        first.submit_records(entry(n))
    started = time.monotonic()
    assert first.stop(3.0) is False
    assert time.monotonic() - started < 3.0

    procs.append(start_collector(tmp_path, port))
    second = make()
    assert second.pending() == 50
    second.start()
    wait_until(lambda: second.pending() == 0, timeout=20)
    assert second.stop(5.0)
    assert [r["n"] for r in central_records(tmp_path / "central")] == list(range(50))
