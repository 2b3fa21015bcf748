"""Faults: the broker going away and coming back, a worker killed in the middle of a task."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import redis

from celery_app.shared import status_key
from harness.procs import free_port, start_redis, wait_until
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
            return [
                (r["message_id"], r["redelivered"])
                for r in stack.log_records("worker2")
                if r["event"] == "task.started"
            ]

        wait_until(started, timeout=10)
        assert started() == [(body["id"], True)]
    finally:
        stack.stop()


def test_a_redelivered_message_already_done_is_not_redone(stack: Stack, redis_url: str) -> None:
    """A worker that died after storing the result but before its ack leaves the message to be delivered
    again: the next worker must see that it is done and leave the stored result alone."""
    queue = stack.env["CELERY_QUEUE"]
    r = redis.Redis.from_url(redis_url)
    stack.start_svc2()
    stack.start_svc1()
    code, _, body = stack.post({"user": "u", "text": "done once already"})
    assert code == 202
    message_id = body["id"]
    # What kombu's restore of an unacked message puts back: the same message, flagged redelivered.
    raw: object = r.rpop(queue)
    assert isinstance(raw, bytes)
    message = json.loads(raw)
    message["properties"]["delivery_info"]["redelivered"] = True
    first = {"status": "done", "result": {"worker": "worker9@gone"}, "updated": 1.0}
    r.set(status_key(message_id), json.dumps(first))
    r.lpush(queue, json.dumps(message))

    stack.start_worker(1)
    code, _, later = stack.post({"user": "u", "text": "a first delivery"})
    assert code == 202
    fresh = stack.wait_status(later["id"], "done", timeout=30)
    assert fresh["result"]["worker"].startswith("worker1@")

    def finished() -> dict[str, dict[str, object]]:
        return {
            str(rec["message_id"]): rec
            for rec in stack.log_records("worker1")
            if rec["event"] == "task.finished"
        }

    # Log lines are written in batches, a moment after the status.
    wait_until(lambda: len(finished()) == 2, timeout=10)
    assert finished()[message_id]["duplicate"] is True
    assert "duplicate" not in finished()[later["id"]]
    stored = r.get(status_key(message_id))
    assert isinstance(stored, bytes) and json.loads(stored) == first
    started = [rec["message_id"] for rec in stack.log_records("worker1") if rec["event"] == "task.started"]
    assert started == [later["id"]]


def test_async_path_works_on_rabbitmq_too(stack: Stack) -> None:
    broker = "amqp://guest:guest@127.0.0.1:5672//"
    stack.env["CELERY_BROKER_URL"] = broker
    stack.start_svc2()
    stack.start_svc1()
    stack.start_worker(1)
    code, _, body = stack.post({"user": "u", "text": "hello over amqp"})
    assert code == 202
    assert stack.wait_status(body["id"], "done")["result"]["words"] == 3
