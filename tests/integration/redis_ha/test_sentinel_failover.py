"""Redis with Sentinel for real: the master SIGKILLed under traffic, the replica promoted, nothing lost.

service_1, service_2 and a worker find the master only through the sentinels (``REDIS_URL`` names a host
that does not exist), keep running through the failover and are never restarted.
"""

from __future__ import annotations

import json
import secrets
import signal
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_ha import SentinelCluster, sentinel_cluster
from tests.support.stack import Stack, make_stack

# Bounds of the traffic loop: long enough for the sentinels to notice (1 s) and promote, never endless.
BEFORE_KILL_S = 1.5
MAX_AFTER_KILL_S = 25.0
AFTER_RECOVERY_S = 2.0
PAUSE_S = 0.01


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    with sentinel_cluster(tmp_path / "ha", master_name=f"ingest-{secrets.token_hex(3)}") as c:
        yield c


@pytest.fixture
def ha_stack(tmp_path: Path, cluster: SentinelCluster) -> Iterator[Stack]:
    stack = make_stack(
        tmp_path,
        # No Redis answers here: only the sentinels can lead the processes to the master.
        "redis://no-such-redis.invalid:6399/0",
        REDIS_SENTINELS=cluster.sentinels_env,
        REDIS_SENTINEL_MASTER=cluster.master_name,
        # A message a worker held when its connection broke is handed out again soon (it is idempotent).
        CELERY_VISIBILITY_TIMEOUT="5",
        CELERY_RESTORE_INTERVAL="1",
    )
    try:
        yield stack
    finally:
        stack.stop()


def test_master_killed_under_traffic_loses_no_accepted_message(
    ha_stack: Stack, cluster: SentinelCluster
) -> None:
    stack = ha_stack
    stack.start_svc2()
    stack.start_svc1()
    stack.start_worker(1)
    started_pids = {name: proc.pid for name, proc in stack.procs.items()}
    old_master = ("127.0.0.1", cluster.master_port)
    assert cluster.master_addresses() == {old_master}

    accepted: list[str] = []
    unavailable: list[float] = []
    other: list[tuple[int, dict[str, object]]] = []
    first_202_after_kill: float | None = None
    promoted_at: float | None = None
    killed_at: float | None = None
    loop_start = time.monotonic()
    n = 0
    while True:
        now = time.monotonic()
        if killed_at is None and now - loop_start >= BEFORE_KILL_S:
            cluster.master.kill(signal.SIGKILL)
            cluster.master.popen.wait(5)
            killed_at = time.monotonic()
        if killed_at is not None:
            if promoted_at is None and cluster.master_addresses() == {("127.0.0.1", cluster.replica_port)}:
                promoted_at = time.monotonic()
            if first_202_after_kill is not None and now - first_202_after_kill >= AFTER_RECOVERY_S:
                break
            if now - killed_at > MAX_AFTER_KILL_S:
                break
        n += 1
        sent = time.monotonic()
        code, _, body = stack.post({"user": "ha", "text": f"message {n} through a failover"}, timeout=10)
        took = time.monotonic() - sent
        if code == 202:
            accepted.append(str(body["id"]))
            if killed_at is not None and first_202_after_kill is None:
                first_202_after_kill = time.monotonic()
        elif code == 503 and body.get("error") == "broker_unavailable":
            unavailable.append(took)
        else:
            other.append((code, body))
        time.sleep(PAUSE_S)

    assert killed_at is not None
    assert first_202_after_kill is not None, "service_1 never accepted a message after the failover"
    assert promoted_at is not None, "the sentinels never promoted the replica"
    assert not other, f"answers other than 202/503 during the failover: {other[:5]}"

    # Every 202'd message is done afterwards: read through service_1, from the new master.
    lost = []
    deadline = time.monotonic() + 40
    for message_id in accepted:
        try:
            stack.wait_status(message_id, "done", timeout=max(0.5, deadline - time.monotonic()))
        except TimeoutError:
            lost.append(message_id)

    figures = {
        "accepted": len(accepted),
        "lost": len(lost),
        "refused_503": len(unavailable),
        "no_master_s (kill -> sentinels name the replica)": round(promoted_at - killed_at, 2),
        "no_202_s (kill -> first 202)": round(first_202_after_kill - killed_at, 2),
        "503_latency_ms median/max": (
            [round(statistics.median(unavailable) * 1000, 1), round(max(unavailable) * 1000, 1)]
            if unavailable
            else None
        ),
    }
    print("\nfailover figures:", json.dumps(figures))  # the report quotes these (pytest -s)
    assert not lost, f"{len(lost)} of {len(accepted)} accepted messages never done: {lost[:5]} ({figures})"
    assert unavailable, "no 503 while there was no master: the kill did not take effect"
    assert max(unavailable) < 1.0, f"a 503 took {max(unavailable):.2f}s ({figures})"

    # No process restarted: the same pids, all alive, and each started once.
    assert {name: proc.pid for name, proc in stack.procs.items()} == started_pids
    assert all(proc.alive() for proc in stack.procs.values())
    started_events = [r for r in stack.log_records("service_1") if r["event"] == "service.started"]
    assert len(started_events) == 1
    code, _, body = stack.get("/readyz")
    assert code == 200, body
