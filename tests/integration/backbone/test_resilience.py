"""Faults: the broker going away and coming back, a worker killed in the middle of a task."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.support.procs import free_port, start_redis, wait_until
from tests.support.stack import Stack, make_stack


def test_broker_down_answers_503_fast_and_recovers_without_restart(tmp_path: Path) -> None:
    port = free_port()
    redis_proc = start_redis(tmp_path / "redis", port)
    stack = make_stack(tmp_path, f"redis://127.0.0.1:{port}/0")
    try:
        stack.start_svc2()
        stack.start_svc1()
        assert stack.post({"user": "u", "text": "before the outage"})[0] == 202

        redis_proc.stop()
        for _ in range(5):
            started = time.monotonic()
            code, headers, body = stack.post({"user": "u", "text": "during the outage"})
            elapsed = time.monotonic() - started
            assert (code, body["error"]) == (503, "broker_unavailable")
            assert int(headers["Retry-After"]) >= 1
            assert elapsed < 1.0, f"503 took {elapsed:.2f}s"
        code, _, body = stack.get("/readyz")
        assert code == 503 and body["checks"]["broker"] != "ok" and "broker" in body["detail"]

        redis_proc = start_redis(tmp_path / "redis", port)
        wait_until(lambda: stack.post({"user": "u", "text": "after the outage"})[0] == 202, timeout=20)
        wait_until(lambda: stack.get("/readyz")[0] == 200, timeout=10)
        failed = [r for r in stack.log_records("service_1") if r["event"] == "message.failed"]
        assert failed and all(r["level"] == "ERROR" for r in failed)
    finally:
        stack.stop()
        redis_proc.stop()


def test_worker_killed_mid_task_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    stack = make_stack(tmp_path, redis_url, CELERY_VISIBILITY_TIMEOUT="4", CELERY_RESTORE_INTERVAL="1")
    try:
        stack.start_svc2()
        stack.start_svc1()
        worker1 = stack.start_worker(1, ANALYSIS_EXTRA_COST_MS="60000")
        code, _, body = stack.post({"user": "u", "text": "a message that must survive its worker"})
        assert code == 202
        stack.wait_status(body["id"], "processing", timeout=20)
        worker1.kill(signal.SIGKILL)
        worker1.popen.wait(10)

        stack.start_worker(2)
        done = stack.wait_status(body["id"], "done", timeout=60)
        assert done["result"]["worker"].startswith("worker2@")

        # Log lines are written in batches, a moment after the status: wait for the line, then check it.
        def started() -> list[object]:
            return [r["message_id"] for r in stack.log_records("worker2") if r["event"] == "task.started"]

        wait_until(started, timeout=10)
        assert started() == [body["id"]]
    finally:
        stack.stop()


def test_async_path_works_on_rabbitmq_too(stack: Stack) -> None:
    broker = "amqp://guest:guest@127.0.0.1:5672//"
    stack.env["CELERY_BROKER_URL"] = broker
    stack.start_svc2()
    stack.start_svc1()
    stack.start_worker(1)
    code, _, body = stack.post({"user": "u", "text": "hello over amqp"})
    assert code == 202
    assert stack.wait_status(body["id"], "done")["result"]["words"] == 3
