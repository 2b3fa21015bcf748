"""How fast the log viewer answers over a ~1 GB central log, against a naive full read.

    python -m bench.logview [--size-mb 1024] [--keep] [--dir /tmp/somewhere]
    (or python bench/logview.py)

Writes a central log in the collector's layout (four tags, one dated file each, interleaved in time) in a
temporary directory, then times: the first page (reader and over HTTP), a common filter, free-text search,
a rare request id (the worst case: every file is read back to its first match), the alerts index, and a
naive viewer that reads and parses everything. Prints a table, saves it as JSON in bench/out/, and
removes the log unless --keep.
"""

# ruff: noqa: E402
from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and a sibling bench module named like a
# standard one (bench/logging.py) would shadow it for everything imported below.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import asyncio
import json
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from logview.alertindex import AlertIndex
from logview.reader import Query
from logview.reader import read_page as _read_page
from logview.settings import Settings

DEFAULTS = Settings()


def read_page(root: Path, query: Query, limit: int, cursor: str | None = None) -> Any:
    """The reader with the budget the app uses by default."""
    return _read_page(root, query, limit, cursor, DEFAULTS.scan_budget, DEFAULTS.scan_seconds)


TAGS = ["app.service_1", "app.service_2", "app.worker1", "app.worker2"]
NEEDLE = "needle-0000-request"
LINES_PER_MINUTE = 4000


def _template(tag: str) -> bytes:
    """One minute of one service's records, with the hour:minute left as a placeholder."""
    service = tag.split(".", 1)[1]
    lines = []
    for i in range(LINES_PER_MINUTE):
        ms = i * 60_000 // LINES_PER_MINUTE
        event, level = "message.received", "INFO"
        if i % 100 == 7:
            event, level = "task.failed", "ERROR"
        elif i % 3 == 1:
            event = "message.queued"
        rec: dict[str, Any] = {
            "time": f"2026-11-29T@@:@@:{ms // 1000:02d}.{ms % 1000:03d}Z",
            "level": level,
            "service": service,
            "event": event,
            "request_id": uuid.uuid4().hex,
            "message": "upstream timeout after 2.0s" if i % 997 == 0 else f"{event.replace('.', ' ')} ok",
            "record_id": uuid.uuid4().hex,
            "tag": tag,
            "user_len": 12,
            "text_len": 400 + i % 50,
            "duration_ms": round(i % 37 * 1.7, 1),
        }
        if i == 1234 and service == "service_1":
            rec.update(
                event="alert.created",
                level="WARNING",
                alert_id=f"alert-{service}-@@:@@",  # the minute is patched in: one alert per minute
                alert_type="PersonalData",
                kinds=["email"],
                description="email found in text",
                findings=[{"kind": "email", "start": 3, "end": 20, "masked": "j***@e***.com"}],
                report="20261129T000000Z_PersonalData_x.json",
            )
        lines.append(json.dumps(rec, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def generate(root: Path, total_bytes: int) -> tuple[int, int]:
    """Writes ~total_bytes; returns (bytes, lines). Fast: one template per tag, the minute patched in."""
    per_file = total_bytes // len(TAGS)
    written = lines = 0
    for n, tag in enumerate(TAGS):
        template = _template(tag)
        path = root / tag / "2026-11-29.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        minutes = max(1, per_file // len(template))
        with path.open("wb", buffering=16 * 1024 * 1024) as fh:
            for m in range(minutes):
                hhmm = f"{m // 60:02d}:{m % 60:02d}".encode()
                fh.write(template.replace(b"@@:@@", hhmm))
                if n == 0 and m == minutes // 2:
                    needle = {
                        "time": f"2026-11-29T{hhmm.decode()}:59.999Z",
                        "level": "INFO",
                        "service": "service_1",
                        "event": "message.received",
                        "request_id": NEEDLE,
                        "message": "the one we look for",
                        "record_id": uuid.uuid4().hex,
                        "tag": tag,
                    }
                    fh.write(json.dumps(needle).encode() + b"\n")
                    lines += 1
            lines += minutes * LINES_PER_MINUTE
        written += path.stat().st_size
    return written, lines


def timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, Any]:
    """(first run, median of the rest, last result) in seconds."""
    first_start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - first_start
    rest = []
    for _ in range(repeat - 1):
        start = time.perf_counter()
        result = fn()
        rest.append(time.perf_counter() - start)
    return first, statistics.median(rest) if rest else first, result


def naive_merged(root: Path, query: Query, limit: int) -> list[dict[str, Any]]:
    """What a viewer without backwards reading does: parse every line of every file, keep the newest."""
    out: list[dict[str, Any]] = []
    for path in sorted(root.glob("*/*.log")):
        with path.open("rb") as fh:
            kept: deque[dict[str, Any]] = deque(maxlen=limit)
            for raw in fh:
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue
                if query.matches(rec):
                    kept.append(rec)
            out.extend(kept)
    return sorted(out, key=lambda r: r.get("time", ""), reverse=True)[:limit]


async def over_http(root: Path, paths: list[str]) -> dict[str, float]:
    """First-page latency through the real app on a real socket (JSON encoding, redaction included)."""
    import aiohttp
    from aiohttp import web

    from logview import Settings, create_app

    settings = Settings(central_dir=root, log_dir=root.parent / "logs", setup_logging=False)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    out: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession() as session:
            for path in paths:
                samples = []
                for _ in range(5):
                    start = time.perf_counter()
                    async with session.get(f"http://127.0.0.1:{port}{path}") as resp:
                        await resp.read()
                        assert resp.status == 200, (path, resp.status)
                    samples.append(time.perf_counter() - start)
                out[path] = statistics.median(samples)
    finally:
        await runner.cleanup()
    return out


def follow_cursor(root: Path, query: Query, limit: int) -> tuple[int, int, list[dict[str, Any]]]:
    """Requests (pages) and bytes until the first match appears, as the UI's "Search older" would."""
    cursor = None
    requests = spent = 0
    while True:
        page = read_page(root, query, limit, cursor)
        requests += 1
        spent += page.scanned_bytes
        if page.records or page.cursor is None:
            return requests, spent, page.records
        cursor = page.cursor


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the log (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="leave the generated log in place")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="logview-bench-", dir=args.dir))
    root = base / "central"
    try:
        start = time.perf_counter()
        size, lines = generate(root, args.size_mb * 1024 * 1024)
        gen_s = time.perf_counter() - start
        print(f"generated {size / 2**20:.0f} MiB, {lines:,} lines in {len(TAGS)} files in {gen_s:.1f}s")

        rows: list[tuple[str, float, float, str]] = []

        def measure(name: str, fn: Callable[[], Any], note: Callable[[Any], str], repeat: int = 5) -> Any:
            first, median, result = timed(fn, repeat)
            rows.append((name, first, median, note(result)))
            return result

        page = measure(
            "first page, 100 newest (reader)",
            lambda: read_page(root, Query(), 100),
            lambda p: f"{len(p.records)} rec, read {p.scanned_bytes / 2**10:.0f} KiB",
        )
        assert page.records[0]["time"] >= page.records[-1]["time"]
        measure(
            "second page via cursor",
            lambda: read_page(root, Query(), 100, page.cursor),
            lambda p: f"{len(p.records)} rec",
        )
        measure(
            "filter event=task.failed",
            lambda: read_page(root, Query(event="task.failed"), 100),
            lambda p: f"{len(p.records)} rec, read {p.scanned_bytes / 2**20:.1f} MiB",
        )
        measure(
            "filter level=ERROR service=worker2",
            lambda: read_page(root, Query(level="ERROR", service="worker2"), 100),
            lambda p: f"{len(p.records)} rec, read {p.scanned_bytes / 2**20:.1f} MiB",
        )
        measure(
            "free text q='upstream TIMEOUT'",
            lambda: read_page(root, Query(q="upstream TIMEOUT"), 100),
            lambda p: f"{len(p.records)} rec, read {p.scanned_bytes / 2**20:.1f} MiB",
        )
        measure(
            "rare request_id, one request",
            lambda: read_page(root, Query(request_id=NEEDLE), 100),
            lambda p: f"{len(p.records)} rec, partial={p.partial}, read {p.scanned_bytes / 2**20:.0f} MiB",
            repeat=3,
        )
        measure(
            "rare request_id, until found",
            lambda: follow_cursor(root, Query(request_id=NEEDLE), 100),
            lambda r: f"{len(r[2])} rec after {r[0]} request(s), read {r[1] / 2**20:.0f} MiB",
            repeat=3,
        )
        index = AlertIndex(root)
        measure("alerts index, cold (full scan)", index.refresh, lambda s: f"{s['total']} alerts", repeat=1)
        measure("alerts index, warm", index.refresh, lambda s: f"{s['total']} alerts")

        http = asyncio.run(over_http(root, ["/api/logs?limit=100", "/api/logs?limit=100&event=task.failed"]))
        for path, seconds in http.items():
            rows.append((f"HTTP GET {path}", seconds, seconds, "median of 5, real socket"))
        rss_viewer = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        naive_first, _, naive_page = timed(lambda: naive_merged(root, Query(), 100), repeat=1)
        note = f"{len(naive_page)} rec"
        rows.append(("NAIVE first page (parse everything)", naive_first, naive_first, note))
        # Equal times across files may come in either order; the times themselves must agree.
        assert [r["time"] for r in naive_page] == [r["time"] for r in page.records], (
            "the viewer and the naive read disagree on the newest records"
        )
        naive_filtered, _, _ = timed(lambda: naive_merged(root, Query(event="task.failed"), 100), repeat=1)
        rows.append(("NAIVE filter event=task.failed", naive_filtered, naive_filtered, ""))

        width = max(len(r[0]) for r in rows)
        print(f"\n{'query':<{width}}  {'first s':>9}  {'median s':>9}  note")
        print("-" * (width + 60))
        for name, first, median, note in rows:
            print(f"{name:<{width}}  {first:>9.4f}  {median:>9.4f}  {note}")
        viewer_first = rows[0][2]
        print(
            f"\nfirst page: viewer {viewer_first * 1000:.1f} ms vs naive {naive_first:.1f} s "
            f"-> {naive_first / viewer_first:,.0f}x faster"
        )
        print(f"peak RSS while measuring the viewer: {rss_viewer:.0f} MiB (log size {size / 2**20:.0f} MiB)")
        out = ROOT / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "logview.json").write_text(
            json.dumps(
                {
                    "size_bytes": size,
                    "lines": lines,
                    "rows": [
                        dict(zip(("query", "first_s", "median_s", "note"), r, strict=True)) for r in rows
                    ],
                    "peak_rss_mib": rss_viewer,
                },
                indent=2,
            )
        )
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
