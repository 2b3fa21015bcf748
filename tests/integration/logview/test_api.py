"""The viewer's HTTP API over real central-log files in a temporary directory."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from logview import Settings, create_app
from logview.middlewares import COOKIE
from logview.settings import ConfigError
from tests.unit.logview.centrallog import alert, rec, write

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>'


@pytest.fixture
def central(tmp_path: Path) -> Path:
    root = tmp_path / "central"
    write(
        root,
        [
            rec(1, "service_1", "message.received", request_id="req-a", message="received"),
            rec(2, "service_1", "message.queued", request_id="req-a"),
            rec(3, "worker1", "task.started", request_id="req-a"),
            rec(4, "worker1", "task.finished", request_id="req-a"),
            rec(5, "service_1", "message.received", request_id="req-b", message=XSS),
            rec(6, "service_2", "message.rejected", level="ERROR", request_id="req-c"),
            alert(7, "PersonalData", ["email"], "req-d", "j***@e***.com"),
            alert(8, "Credential", ["password"], "req-e", "[password:9 chars]"),
            alert(9, "PersonalData", ["email", "phone"], "req-f", "a***@b***.org"),
        ],
    )
    return root


def settings_for(tmp_path: Path, central: Path, **kw: Any) -> Settings:
    return Settings(central_dir=central, log_dir=tmp_path / "logs", poll_interval=0.05, **kw)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path, central: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, central)))


async def test_logs_newest_first_with_filters(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/logs")
    assert resp.status == 200
    body = await resp.json()
    times = [r["time"] for r in body["records"]]
    assert times == sorted(times, reverse=True) and len(times) == 9
    assert body["next_cursor"] is None

    body = await (await client.get("/api/logs", params={"request_id": "req-a"})).json()
    assert [r["event"] for r in body["records"]] == [
        "task.finished",
        "task.started",
        "message.queued",
        "message.received",
    ]
    body = await (await client.get("/api/logs", params={"level": "error"})).json()
    assert [r["service"] for r in body["records"]] == ["service_2"]
    params = {"service": "worker1", "event": "task.started"}
    body = await (await client.get("/api/logs", params=params)).json()
    assert len(body["records"]) == 1
    body = await (await client.get("/api/logs", params={"q": "ONERROR"})).json()
    assert [r["request_id"] for r in body["records"]] == ["req-b"]


async def test_paging_with_cursor(client: TestClient[Any, Any]) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"limit": "4"}
    while True:
        body = await (await client.get("/api/logs", params=params)).json()
        seen += [r["record_id"] for r in body["records"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 9


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "many"}, "invalid_request"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"q": "x" * 300}, "invalid_request"),
    ],
)
async def test_bad_input_gets_the_error_shape(
    client: TestClient[Any, Any], params: dict[str, str], code: str
) -> None:
    resp = await client.get("/api/logs", params=params)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == code and body["detail"]


async def test_unknown_route_is_json_404(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/nope")
    assert resp.status == 404
    assert (await resp.json())["error"] == "not_found"


async def test_alerts_by_type_with_masked_findings_and_incremental_update(
    client: TestClient[Any, Any], central: Path
) -> None:
    body = await (await client.get("/api/alerts")).json()
    by_type = {t["type"]: t for t in body["types"]}
    assert body["total"] == 3
    assert by_type["PersonalData"]["count"] == 2 and by_type["Credential"]["count"] == 1
    assert by_type["GovernmentId"]["count"] == 0 and by_type["InvalidInput"]["description"]
    assert by_type["PersonalData"]["kinds"] == {"email": 2, "phone": 1}
    newest = by_type["PersonalData"]["latest"][0]
    assert newest["request_id"] == "req-f" and newest["findings"][0]["masked"] == "a***@b***.org"
    assert set(newest["findings"][0]) == {"kind", "start", "end", "masked"}

    write(central, [alert(20, "FinancialData", ["credit_card"], "req-g", "************1111")])
    body = await (await client.get("/api/alerts")).json()
    assert body["total"] == 4 and body["latest"][0]["alert_type"] == "FinancialData"


async def test_a_raw_value_that_slipped_upstream_is_masked_by_the_viewer(
    client: TestClient[Any, Any], central: Path
) -> None:
    write(central, [rec(30, "worker2", "task.failed", message="could not mail jane.doe@example.com")])
    resp = await client.get("/api/logs")
    text = await resp.text()
    assert "jane.doe@example.com" not in text
    top = json.loads(text)["records"][0]
    assert top["logview_redacted"] == ["email"] and "j***@e***.com" in top["message"]


async def test_markup_in_records_is_served_as_json_data(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/logs", params={"request_id": "req-b"})
    assert resp.content_type == "application/json"
    assert (await resp.json())["records"][0]["message"] == XSS


async def test_page_and_assets_carry_a_strict_csp(client: TestClient[Any, Any]) -> None:
    for path in ("/", "/static/app.js", "/static/style.css", "/api/logs"):
        resp = await client.get(path)
        assert resp.status == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = await (await client.get("/")).text()
    assert "<script>" not in page and "style=" not in page  # no inline code for the CSP to allow
    script = (Path(__file__).parents[3] / "logview/static/app.js").read_text()
    assert "innerHTML" not in script.replace("(no innerHTML here)", "")
    assert "insertAdjacentHTML" not in script and "document.write" not in script


async def test_stats_and_facets(client: TestClient[Any, Any]) -> None:
    stats = await (await client.get("/api/stats", params={"minutes": "5"})).json()
    assert stats["series"][0]["minute"] == "2026-11-29T06:00"
    assert stats["series"][0]["counts"] == {"INFO": 5, "ERROR": 1, "WARNING": 3}
    facets = await (await client.get("/api/facets")).json()
    assert facets["service"] == ["service_1", "service_2", "worker1"]
    assert "alert.created" in facets["event"] and "ERROR" in facets["level"]


async def _events(resp: Any, want: int, kind: str = "record") -> list[tuple[str, Any]]:
    """Reads SSE events until ``want`` events of ``kind`` arrived."""
    out: list[tuple[str, Any]] = []
    event = ""

    async def read() -> None:
        nonlocal event
        while sum(1 for e, _ in out if e == kind) < want:
            line = (await resp.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))

    await asyncio.wait_for(read(), 10.0)
    return out


async def test_stream_sends_new_matching_records_live(client: TestClient[Any, Any], central: Path) -> None:
    resp = await client.get("/api/stream", params={"service": "worker2"})
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    assert [e for e, _ in await _events(resp, 1, "ready")] == ["ready"]
    write(central, [rec(40, "service_1"), rec(41, "worker2", "task.started", message=XSS)])
    # A line written in two parts is delivered once, whole.
    path = central / "app.worker2" / "2026-11-29.log"
    line = json.dumps(rec(42, "worker2", "task.finished")).encode()
    with path.open("ab") as fh:
        fh.write(line[:20])
        fh.flush()
        await asyncio.sleep(0.2)
        fh.write(line[20:] + b"\n")
    got = [data for e, data in await _events(resp, 2) if e == "record"]
    assert [r["event"] for r in got] == ["task.started", "task.finished"]
    assert got[0]["message"] == XSS and got[0]["tag"] == "app.worker2"
    resp.close()


async def test_loopback_viewer_refuses_foreign_host_headers(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/logs", headers={"Host": "attacker.example:8003"})
    assert resp.status == 403
    assert (await resp.json())["error"] == "forbidden_host"


async def test_token_is_required_when_configured(
    aiohttp_client: ClientFactory, tmp_path: Path, central: Path
) -> None:
    token = "s3cret-token-0123456789"
    client = await aiohttp_client(create_app(settings_for(tmp_path, central, token=token)))
    assert (await client.get("/healthz")).status == 200
    for path in ("/", "/api/logs", "/api/alerts", "/api/stream", "/static/app.js"):
        resp = await client.get(path)
        assert resp.status == 401, path
        assert (await resp.json())["error"] == "unauthorized"
    assert (await client.get("/api/logs", headers={"Authorization": "Bearer wrong"})).status == 401
    assert (await client.get("/api/logs", headers={"Authorization": f"Bearer {token}"})).status == 200
    assert (await client.get("/", params={"token": "wrong"})).status == 401

    resp = await client.get("/", params={"token": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    cookie = resp.cookies[COOKIE]
    assert cookie.value != token and cookie["httponly"] and cookie["samesite"] == "Strict"
    resp = await client.get("/api/logs")  # the client's cookie jar now holds the session
    assert resp.status == 200


def test_settings_refuse_an_exposed_viewer_without_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings(host="0.0.0.0").validate()
    with pytest.raises(ConfigError):
        Settings(host="0.0.0.0", token="short").validate()
    Settings(host="0.0.0.0", token="x" * 32).validate()
    Settings(host="::1").validate()
    done = subprocess.run(
        [sys.executable, "-m", "logview"],
        env={"LOGVIEW_HOST": "0.0.0.0", "LOG_DIR": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).parents[3],
    )
    assert done.returncode == 2 and "LOGVIEW_TOKEN" in done.stderr


async def test_graceful_shutdown_ends_open_streams(tmp_path: Path, central: Path) -> None:
    app = create_app(settings_for(tmp_path, central))
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    import aiohttp

    async with aiohttp.ClientSession() as session:
        resp = await session.get(f"http://127.0.0.1:{port}/api/stream")
        await resp.content.readline()
        loop = asyncio.get_running_loop()
        started = loop.time()
        await runner.cleanup()
        assert loop.time() - started < 3  # the stream was closed, not waited out
        resp.close()


async def test_search_does_not_find_values_the_viewer_masks(
    client: TestClient[Any, Any], central: Path
) -> None:
    write(central, [rec(50, "worker2", "task.failed", message="bounce from jane.doe@example.com")])
    hits = await (await client.get("/api/logs", params={"q": "jane.doe@example.com"})).json()
    assert hits["records"] == []
    hits = await (await client.get("/api/logs", params={"q": "bounce from"})).json()
    assert len(hits["records"]) == 1


async def test_stream_survives_rotation_without_repeating_records(
    client: TestClient[Any, Any], central: Path
) -> None:
    resp = await client.get("/api/stream")
    await _events(resp, 1, "ready")
    path = central / "app.worker1" / "2026-11-29.log"
    path.rename(path.with_name("2026-11-29.log.1"))  # rotated away: its records were already shown
    write(central, [rec(60, "worker1", "task.started", request_id="after-rotation")])
    got = [data for e, data in await _events(resp, 1) if e == "record"]
    assert [r["request_id"] for r in got] == ["after-rotation"]
    resp.close()


async def test_errors_have_the_services_shape_and_codes(client: TestClient[Any, Any]) -> None:
    """One error stack for all three apps: the same JSON body, the same codes, request ids, metrics."""
    resp = await client.get("/nowhere")
    assert (resp.status, await resp.json()) == (
        404,
        {"error": "not_found", "detail": "Not Found"},
    )
    assert resp.headers["X-Request-ID"]
    resp = await client.post("/api/logs")
    body = await resp.json()
    assert (resp.status, body["error"]) == (405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]
    resp = await client.get("/api/logs", params={"limit": "many"})
    assert (resp.status, (await resp.json())["error"]) == (400, "invalid_request")
    text = await (await client.get("/metrics")).text()
    assert 'logview_http_requests_total{method="GET",route="/api/logs",status="400"} 1.0' in text
