"""The log viewer in a real headless Chromium against the real stack.

Redis, the collector, service_2, service_1, one worker and the viewer run as separate processes on free
ports; every process streams its log to the collector, which writes the central log the viewer reads.
The test posts messages to service_1 and drives the page as an operator would.
"""

from __future__ import annotations

import json
import secrets
import shutil
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.procs import PYTHON, ROOT, Proc, free_port, http_status, port_open, private_redis, start
from harness.procs import wait_until as _wait_until
from tests.support.stack import Stack, make_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
XSS = "<img src=x onerror=\"document.title='pwned';alert(1)\"><script>window.__xss=1;alert(2)</script>"
SECRET_EMAIL = "jane.roe@example.com"


def wait_until(predicate: Any, timeout: float = 30.0) -> Any:
    return _wait_until(predicate, timeout=timeout, interval=0.2)


class Viewer:
    def __init__(self, url: str) -> None:
        self.url = url

    def logs(self, **params: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"limit": "500", **params})
        with urllib.request.urlopen(f"{self.url}/api/logs?{query}", timeout=10) as resp:
            return list(json.loads(resp.read())["records"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Viewer, int]]:
    workdir = tmp_path_factory.mktemp("logview-e2e")
    fluent_port, viewer_port = free_port(), free_port()
    procs: list[Proc] = []
    with private_redis(workdir / "redis") as (_, redis_url):
        stack = make_stack(
            workdir,
            redis_url,
            FLUENTD_ENABLED="1",
            FLUENTD_HOST="127.0.0.1",
            FLUENTD_PORT=str(fluent_port),
            LOG_FLUSH_TIMEOUT="2",
        )
        try:
            procs.append(
                start("collector", [PYTHON, "-m", "logpipe.collector"], env=stack.env, workdir=workdir)
            )
            wait_until(lambda: port_open(fluent_port), timeout=20)
            stack.start_svc2()
            stack.start_svc1()
            stack.start_worker(1)
            env = {**stack.env, "LOGVIEW_PORT": str(viewer_port), "LOGVIEW_POLL_INTERVAL": "0.2"}
            procs.append(start("logview", [PYTHON, "-m", "logview"], env=env, workdir=workdir))
            url = f"http://127.0.0.1:{viewer_port}"
            wait_until(lambda: http_status(f"{url}/healthz") == 200, timeout=20)
            yield stack, Viewer(url), fluent_port
        finally:
            stack.stop()
            for proc in reversed(procs):
                proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium package "
            "(apt-get install chromium; .ci/run installs it). Playwright's own download is not used."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def post(stack: Stack, text: str, request_id: str, *, user: str = "e2e", mode: str = "async") -> int:
    code, _, _ = stack.post({"user": user, "text": text, "mode": mode}, headers={"X-Request-ID": request_id})
    return code


def feed_through_collector(port: int, record: dict[str, Any]) -> None:
    """A hand-made record sent the way any Fluentd client would (forward protocol, fluent-logger)."""
    from fluent.sender import FluentSender

    sender = FluentSender("app", host="127.0.0.1", port=port, timeout=5)
    try:
        assert sender.emit("e2e", record), sender.last_error
    finally:
        sender.close()


def rid(label: str) -> str:
    return f"e2e-{label}-{secrets.token_hex(4)}"


def test_operator_workflow_in_a_real_browser(live: tuple[Stack, Viewer, int], browser: Any) -> None:
    stack, viewer, fluent_port = live
    clean, sensitive, markup = rid("clean"), rid("pii"), rid("xss")
    assert post(stack, "The parcel arrived on time, thank you!", clean) == 202
    assert post(stack, f"please write to {SECRET_EMAIL} tomorrow", sensitive) == 422
    assert post(stack, XSS, markup) == 202
    feed_through_collector(
        fluent_port,
        {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "WARNING",
            "service": "e2e",
            "event": "xss.probe",
            "request_id": markup,
            "message": XSS,
        },
    )
    # The whole path of the clean request (worker included) and the alert reach the central log.
    wait_until(lambda: any(r["event"] == "task.finished" for r in viewer.logs(request_id=clean)))
    wait_until(lambda: viewer.logs(request_id=markup, event="xss.probe"))
    wait_until(lambda: viewer.logs(event="alert.created", request_id=sensitive))
    path = viewer.logs(request_id=clean)

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(viewer.url)
        rows = page.locator("#rows > tr:not(.detail)")
        rows.first.wait_for()

        # Newest first.
        times = [t for t in page.locator("#rows td.time").evaluate_all("els => els.map(e => e.title)") if t]
        assert len(times) > 5 and times == sorted(times, reverse=True)

        # Free-text search applies on Enter.
        page.fill("#q", "task.finished")
        page.press("#q", "Enter")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#rows td.event')].length > 0 && "
            "[...document.querySelectorAll('#rows td.event')].every(td => td.textContent === 'task.finished')"
        )
        assert "q=task.finished" in page.url

        # Follow the clean request: the timeline holds its whole path, in order, across processes.
        page.fill("#q", clean)
        page.press("#q", "Enter")
        page.locator(f'#rows button.rid-link[data-rid="{clean}"]').first.click()
        timeline = page.locator("#timeline > li")
        page.wait_for_function(f"() => document.querySelectorAll('#timeline > li').length === {len(path)}")
        services = timeline.locator(".svc").all_text_contents()
        assert services[0] == "service_1" and "worker1" in services
        assert set(services) == {r["service"] for r in path}
        events = timeline.locator(".tl-event").all_text_contents()
        assert events.index("message.received") < events.index("task.finished")

        # The alert is listed by type with its masked finding; the raw value is nowhere on the page.
        personal = page.locator('#alert-types details[data-type="PersonalData"]')
        personal.locator("summary").click()
        assert int(personal.locator("summary .count").inner_text()) >= 1
        finding = personal.locator(".findings code").first.inner_text()
        assert "***" in finding and SECRET_EMAIL not in finding
        assert SECRET_EMAIL not in page.content()

        # A new record arrives live, without a reload; paused, it waits behind a counter.
        page.click("#clear")
        page.wait_for_selector("#live-label:text('live')")
        live_rid = rid("live")
        assert post(stack, "Live tail check, all fine.", live_rid) == 202
        page.locator(f'#rows button.rid-link[data-rid="{live_rid}"]').first.wait_for(timeout=30_000)
        page.click("#pause")
        paused_rid = rid("paused")
        assert post(stack, "Sent while paused.", paused_rid) == 202
        page.wait_for_selector("#pending:not([hidden])", timeout=30_000)
        assert page.locator(f'#rows button.rid-link[data-rid="{paused_rid}"]').count() == 0
        page.click("#pause")
        page.locator(f'#rows button.rid-link[data-rid="{paused_rid}"]').first.wait_for(timeout=10_000)

        # Markup in a record stays text: shown verbatim, no element created, nothing ran.
        page.fill("#q", "xss.probe")
        page.press("#q", "Enter")
        cell = page.locator("#rows td.message").first
        page.wait_for_function("() => document.querySelector('#rows td.event')?.textContent === 'xss.probe'")
        assert cell.inner_text() == XSS
        assert page.locator("#rows img, #rows script").count() == 0
        assert page.evaluate("() => window.__xss") is None
        assert page.title() == "Log viewer"
        assert dialogs == [] and errors == []

        # The artifact: the page with the request timeline and the alerts open.
        page.fill("#q", "")
        page.press("#q", "Enter")
        page.locator(f'#rows button.rid-link[data-rid="{clean}"]').first.click()
        page.wait_for_function(f"() => document.querySelectorAll('#timeline > li').length >= {len(path)}")
        page.evaluate("() => window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "logview.png"), full_page=True)

        # Responsive: on a phone-sized screen nothing pushes the page sideways (the table scrolls inside).
        page.set_viewport_size({"width": 400, "height": 900})
        page.wait_for_timeout(200)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
        page.screenshot(path=str(ARTIFACTS / "logview-narrow.png"), full_page=False)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "logview-failure.png"), full_page=True)
        raise
    finally:
        context.close()
