"""Every row of the contract's table for POST /messages, and the other endpoints, against real processes."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from harness.procs import free_port, wait_until
from tests.support.stack import Stack, make_stack


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Stack]:
    """One system for the tests that leave it as they found it (each destructive test starts its own)."""
    shared = make_stack(tmp_path_factory.mktemp("contract"), redis_url)
    try:
        shared.start_svc2()
        shared.start_svc1()
        shared.start_worker(1)
        yield shared
    finally:
        shared.stop()


def test_clean_async_message_is_queued_then_analysed(running: Stack) -> None:
    code, headers, body = running.post({"user": "alice", "text": "The delivery was great, thanks a lot!"})
    assert code == 202
    assert body["status"] == "queued"
    assert headers["Location"] == f"/messages/{body['id']}"
    done = running.wait_status(body["id"], "done")
    result = done["result"]
    assert result["language"] == "en"
    assert result["words"] == 7
    assert result["sentiment"] > 0
    assert "delivery" in result["keywords"]


def test_clean_sync_message_is_processed_by_service_2(running: Stack) -> None:
    code, _, body = running.post({"user": "bob", "text": "<b>Hello</b>   there", "mode": "sync"})
    assert code == 200, body
    assert body["status"] == "processed"
    assert body["result"]["clean_text"] == "Hello there"
    assert body["result"]["valid"] is True
    assert body["result"]["checks"]["markup_removed"] == 2  # <b> and </b>
    code, _, stored = running.get(f"/messages/{body['id']}")
    assert code == 200 and stored["status"] == "done"


@pytest.mark.parametrize(
    ("user", "text", "kind", "alert_type"),
    [
        ("carol", "write to me at carol.smith@example.org please", "email", "PersonalData"),
        ("carol", "my password is Tr0ub4dor&3", "password", "Credential"),
        ("carol", "card 4111 1111 1111 1111 exp 12/29", "credit_card", "FinancialData"),
        ("dave@example.com", "hello there", "email", "PersonalData"),
    ],
)
def test_sensitive_message_is_refused_reported_and_not_queued(
    running: Stack, user: str, text: str, kind: str, alert_type: str
) -> None:
    keys_before = set(_redis_keys(running))
    code, _, body = running.post({"user": user, "text": text})
    assert code == 422
    assert body["error"] == "sensitive_data"
    assert body["alert"]["type"] == alert_type
    assert kind in body["alert"]["kinds"]
    reports = list(running.report_dir.glob(f"*_{alert_type}_{body['alert']['id']}.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    assert report["type"] == alert_type
    assert report["service"] == "service_1"
    assert {f["kind"] for f in report["findings"]} >= {kind}
    assert all(set(f) >= {"kind", "start", "end", "masked"} for f in report["findings"])
    assert set(_redis_keys(running)) == keys_before, "a status was stored for a refused message"
    assert _queue_length(running) == 0, "something was queued"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "JSON"),
        (b"[1, 2]", "object"),
        (json.dumps({"text": "hi"}).encode(), "user"),
        (json.dumps({"user": "u"}).encode(), "text"),
        (json.dumps({"user": 5, "text": "hi"}).encode(), "user"),
        (json.dumps({"user": "u", "text": "hi", "mode": "later"}).encode(), "mode"),
        (json.dumps({"user": "u", "text": "hi", "extra": 1}).encode(), "unknown"),
        (json.dumps({"user": "u", "text": "x" * 4001}).encode(), "4000"),
        (json.dumps({"user": "u" * 65, "text": "hi"}).encode(), "64"),
        (json.dumps({"user": "u", "text": "   "}).encode(), "empty"),
    ],
)
def test_invalid_request_is_400_and_reported(running: Stack, body: bytes, detail: str) -> None:
    code, _, resp = running.post(body)
    assert code == 400
    assert resp["error"] == "invalid_request"
    assert detail in resp["detail"]
    wait_until(lambda: list(running.report_dir.glob("*_InvalidInput_*.json")), timeout=5)


def test_too_large_and_wrong_content_type(running: Stack) -> None:
    big = json.dumps({"user": "u", "text": "a" * 70_000}).encode()
    code, _, body = running.post(big)
    assert (code, body["error"]) == (413, "too_large")
    code, _, body = running.post(b"user=u", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (code, body["error"]) == (415, "unsupported_media_type")


def test_unknown_message_is_404(running: Stack) -> None:
    code, _, body = running.get("/messages/0123456789abcdef0123456789abcdef")
    assert (code, body["error"]) == (404, "not_found")


def test_health_ready_metrics_openapi(running: Stack) -> None:
    assert running.get("/healthz")[0] == 200
    code, _, body = running.get("/readyz")
    assert code == 200 and body["checks"] == {"broker": "ok", "service_2": "ok"}
    running.post({"user": "u", "text": "hello"})
    running.post({"user": "u", "text": "mail x.y@example.com"})
    import urllib.request

    with urllib.request.urlopen(f"{running.svc1_url}/metrics") as resp:
        text = resp.read().decode()
    assert 'service_1_messages_total{outcome="queued"}' in text
    assert 'service_1_alerts_total{type="PersonalData"}' in text
    assert 'route="/messages",status="202"' in text
    assert "service_1_http_request_duration_seconds_bucket" in text
    assert "x.y@example.com" not in text
    code, _, spec = running.get("/openapi.json")
    assert code == 200 and spec["openapi"].startswith("3.") and "/messages" in spec["paths"]


def test_request_id_is_echoed_or_generated(running: Stack) -> None:
    _, headers, _ = running.post({"user": "u", "text": "hi"}, headers={"X-Request-ID": "trace-42"})
    assert headers["X-Request-ID"] == "trace-42"
    for bad in ("x" * 200, "bad id with spaces", "4111111111111111"):
        _, headers, _ = running.post({"user": "u", "text": "hi"}, headers={"X-Request-ID": bad})
        assert headers["X-Request-ID"] != bad
        assert len(headers["X-Request-ID"]) == 32


def test_service_2_down_is_502_and_readyz_says_so(stack: Stack) -> None:
    stack.start_svc2()
    stack.start_svc1()
    assert stack.post({"user": "u", "text": "hi", "mode": "sync"})[0] == 200
    stack.procs["service_2"].stop()
    code, _, body = stack.post({"user": "u", "text": "hi", "mode": "sync"})
    assert (code, body["error"]) == (502, "upstream_unavailable")
    code, _, body = stack.get("/readyz")
    assert code == 503 and body["checks"]["service_2"] != "ok" and body["checks"]["broker"] == "ok"
    assert "service_2" in body["detail"]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A real socket that accepts and never answers: a service_2 that hangs."""
    port = free_port()
    server = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_service_2_too_slow_is_504(stack: Stack, silent_server: int) -> None:
    stack.start_svc1(SVC2_URL=f"http://127.0.0.1:{silent_server}", SVC2_TIMEOUT="1")
    started = time.monotonic()
    code, _, body = stack.post({"user": "u", "text": "hi", "mode": "sync"})
    assert (code, body["error"]) == (504, "upstream_timeout")
    assert time.monotonic() - started < 5


def test_service_2_refuses_to_start_without_token(stack: Stack) -> None:
    proc = stack._start("service_2", [stack_python(), "-m", "svc2"], {"SERVICE_TOKEN": ""})
    assert proc.popen.wait(20) == 2
    assert "SERVICE_TOKEN" in proc.text()


def test_service_2_wants_the_token(running: Stack) -> None:
    import urllib.request

    from tests.support.stack import request

    payload = json.dumps({"id": "1", "user": "u", "text": "hi"}).encode()
    for auth in (None, "Bearer wrong", f"Bearer {running.env['SERVICE_TOKEN']}x"):
        headers = {"Content-Type": "application/json"} | ({"Authorization": auth} if auth else {})
        req = urllib.request.Request(f"{running.svc2_url}/process", data=payload, headers=headers)
        code, _, body = request(req, 5)
        assert (code, body["error"]) == (401, "unauthorized")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {running.env['SERVICE_TOKEN']}"}
    req = urllib.request.Request(f"{running.svc2_url}/process", data=payload, headers=headers)
    code, _, body = request(req, 5)
    assert code == 200 and body["clean_text"] == "hi"


def stack_python() -> str:
    from harness.procs import PYTHON

    return PYTHON


def _redis_keys(stack: Stack) -> list[str]:
    import redis

    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    return [k.decode() for k in client.scan_iter("ingest:message:*")]


def _queue_length(stack: Stack) -> int:
    import redis

    return int(redis.Redis.from_url(stack.env["REDIS_URL"]).llen(stack.env["CELERY_QUEUE"]))
