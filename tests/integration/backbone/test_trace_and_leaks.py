"""One request id followed through every process; no raw sensitive value in any file, store or answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from harness.procs import wait_until
from tests.support.stack import Stack, all_files_text, make_stack


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Stack]:
    s = make_stack(tmp_path_factory.mktemp("trace"), redis_url)
    try:
        s.start_svc2()
        s.start_svc1()
        s.start_worker(1)
        s.start_worker(2)
        yield s
    finally:
        s.stop()


RID = "X-Request-ID"


def events(stack: Stack, process: str, request_id: str) -> list[str]:
    return [r["event"] for r in stack.log_records(process) if r.get("request_id") == request_id]


def test_one_request_id_across_service_1_service_2_and_a_worker(system: Stack) -> None:
    code, headers, body = system.post(
        {"user": "u", "text": "hello async"}, headers={"X-Request-ID": "trace-a"}
    )
    assert code == 202 and headers["X-Request-ID"] == "trace-a"
    system.wait_status(body["id"])
    code, _, _ = system.post(
        {"user": "u", "text": "hello sync", "mode": "sync"}, headers={"X-Request-ID": "trace-s"}
    )
    assert code == 200

    # Log lines are written by a background thread: wait for them rather than for luck.
    wait_until(lambda: {"message.received", "message.queued"} <= set(events(system, "service_1", "trace-a")))
    wait_until(
        lambda: {"message.received", "message.forwarded"} <= set(events(system, "service_1", "trace-s"))
    )
    wait_until(lambda: "message.received" in events(system, "service_2", "trace-s"))

    def worker_events() -> list[str]:
        return events(system, "worker1", "trace-a") + events(system, "worker2", "trace-a")

    wait_until(lambda: {"task.started", "task.finished"} <= set(worker_events()), timeout=10)
    for process in ("service_1", "service_2", "worker1", "worker2"):
        for record in system.log_records(process):
            assert {"time", "level", "service", "event", "message"} <= set(record)
            assert record["service"] == process
            assert record["time"].endswith("Z") and len(record["time"]) == 24


SECRETS = {
    "email": "zelda.secret@example.com",
    "password": "S3cr3t-Horse-Battery!",
    "card": "5555 5555 5555 4444",
    "card_compact": "4012888888881881",
}


def test_no_raw_sensitive_value_reaches_any_sink(system: Stack) -> None:
    answers: list[str] = []

    def post(body: object, **headers: str) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        answers.append(json.dumps(system.post(data, headers=headers)[2]))

    for mode in ("async", "sync"):
        post({"user": "u", "text": f"mail {SECRETS['email']} now", "mode": mode})
        post({"user": "u", "text": f"my password is {SECRETS['password']}", "mode": mode})
        post({"user": "u", "text": f"pay with {SECRETS['card']}", "mode": mode})
        post({"user": SECRETS["email"], "text": "hi", "mode": mode})
    # Invalid requests that carry secrets: the error path must not echo them either.
    post(f'{{"user": "u", "text": "{SECRETS["email"]}'.encode())
    post({"user": "u", "text": SECRETS["card_compact"] + "x" * 4000})
    post({"user": "u", "text": "hi", SECRETS["email"]: 1})
    post({"user": "u", "text": "hi", "mode": SECRETS["password"]})
    post({"user": "u", "text": "hi"}, **{"X-Request-ID": SECRETS["card_compact"]})
    # Obfuscated forms that service_2's cleaning would make readable.
    post({"user": "u", "text": "write to zelda.secret&#64;example.com", "mode": "sync"})

    assert len(list(system.report_dir.glob("*.json"))) == 13  # written before each answer
    wait_until(lambda: "alert.created" in system.read_log("service_1"), timeout=10)
    store = redis.Redis.from_url(system.env["REDIS_URL"])
    stored = [str(store.get(k)) for k in store.scan_iter("ingest:message:*")]
    sinks = [(str(p), text) for p, text in all_files_text(system.log_dir, system.report_dir)]
    sinks += [("store", s) for s in stored] + [("answer", a) for a in answers]
    assert len(sinks) > 20
    for name, text in sinks:
        for kind, value in SECRETS.items():
            assert value not in text, f"raw {kind} in {name}"
            assert value.replace(" ", "") not in text.replace(" ", ""), f"raw {kind} in {name}"
