"""With a replica, a 202 means a replica has the job (Redis WAIT); a replica that stops confirming turns
the answer into a fast 503, and service_1 recovers by itself when it confirms again."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import redis

from harness.procs import free_port, start_redis, wait_until
from tests.support.stack import make_stack


def test_202_waits_for_a_replica_and_a_silent_replica_gives_fast_503s(tmp_path: Path) -> None:
    master_port, replica_port = free_port(), free_port()
    master = start_redis(tmp_path / "master", master_port)
    replica = start_redis(tmp_path / "replica", replica_port, "--replicaof", "127.0.0.1", str(master_port))
    url = f"redis://127.0.0.1:{master_port}/0"
    replica_client = redis.Redis(host="127.0.0.1", port=replica_port)
    wait_until(lambda: replica_client.info("replication")["master_link_status"] == "up", timeout=30)
    stack = make_stack(tmp_path, url, PUBLISH_TIMEOUT="0.5", BROKER_RETRY_AFTER="1")
    try:
        stack.start_svc2()
        stack.start_svc1()
        code, _, body = stack.post({"user": "u", "text": "kept by two servers"})
        assert code == 202
        assert replica_client.llen(stack.env["CELERY_QUEUE"]) == 1, "the 202 came before the replica had it"

        replica.popen.send_signal(signal.SIGSTOP)  # connected, but confirming nothing
        try:
            started = time.monotonic()
            code, headers, body = stack.post({"user": "u", "text": "not confirmed"})
            elapsed = time.monotonic() - started
            assert (code, body["error"]) == (503, "broker_unavailable")
            assert elapsed < 1.5 and int(headers["Retry-After"]) >= 1
        finally:
            replica.popen.send_signal(signal.SIGCONT)
        wait_until(lambda: stack.post({"user": "u", "text": "confirmed again"})[0] == 202, timeout=20)
    finally:
        stack.stop()
        replica.stop()
        master.stop()
