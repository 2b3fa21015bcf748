"""What one log call costs the request path, in every state of the pipeline, beside fluent-logger's handlers.

    python bench/logging.py [--requests 2000] [--burst 20000]

States, all in one run on the same machine: no handler at all (stock ``logging``, then with caller info off
as logpipe sets it), logpipe with the embedded collector up, logpipe with the collector down (every record
goes to the spool), and fluent-logger's ``FluentHandler`` (sync, collector up and down) and its
``asynchandler.FluentHandler`` (collector up).

Two figures per state:

* request: rounds of 10 log calls separated by 2 ms of idle (a service waiting on I/O, when background
  threads catch up); mean and median µs per call. This is the cost a request pays. ``p99 1``: single calls
  timed alone after a short idle (timer overhead subtracted), the tail a request may see.
* burst: ``--burst`` calls back to back, mean µs per call. Background threads compete for the GIL here, so
  this is the worst case, not the usual one.
* added: request minus the bare call (no handler, caller info off) - what the pipeline itself costs.

The target is at most 10 µs per record on the request path in every state. Prints a table, writes
bench/out/logging.json and bench/out/logging.svg. The machine is shared and small: read the ratios.
"""

from __future__ import annotations

# Run as ``python bench/logging.py`` this directory comes first on sys.path, and this very file would then be
# imported as the standard library's ``logging``. Drop it before anything imports logging.
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
_ROOT = os.path.dirname(_HERE)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from fluent import asynchandler as fluent_async  # noqa: E402
from fluent import handler as fluent_handler  # noqa: E402

from harness.procs import PYTHON, free_port, port_open, start, wait_until  # noqa: E402
from logpipe import get_logger, log_event, setup_logging  # noqa: E402

CALLS_PER_REQUEST = 10
TARGET_US = 10.0


@dataclass
class Row:
    state: str
    request_us: float  # mean µs per call over request-sized rounds, idle time between rounds
    round_p50_us: float
    call_p99_us: float  # each call timed alone, the idle pause before it included (caches gone cold)
    burst_us: float
    note: str = ""


def timer_overhead() -> float:
    samples = []
    for _ in range(20_000):
        t0 = time.perf_counter_ns()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


def measure(state: str, call: Callable[[int], None], rounds: int, burst: int, overhead: float) -> Row:
    for i in range(500):  # warm-up: connections, caches, the spool's first segment
        call(i)
    time.sleep(0.3)
    n = 0
    # Request-sized rounds: a handful of records, then the thread goes idle (I/O wait in a real service),
    # which is when the background threads catch up.
    round_means: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(CALLS_PER_REQUEST):
            call(n)
            n += 1
        round_means.append((time.perf_counter_ns() - t0) / 1000 / CALLS_PER_REQUEST)
        time.sleep(0.002)
    singles: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        call(n)
        singles.append((time.perf_counter_ns() - t0) / 1000 - overhead)
        n += 1
        time.sleep(0.0005)
    time.sleep(0.3)
    started = time.perf_counter()
    for i in range(burst):
        call(i)
    burst_us = (time.perf_counter() - started) / burst * 1e6
    singles.sort()
    return Row(
        state=state,
        request_us=statistics.fmean(round_means),
        round_p50_us=statistics.median(round_means),
        call_p99_us=singles[int(len(singles) * 0.99)],
        burst_us=burst_us,
    )


def reset_root() -> logging.Logger:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.setLevel(logging.INFO)
    return root


@contextmanager
def collector(workdir: Path, port: int) -> Iterator[Path]:
    central = workdir / "central"
    env = {"FLUENTD_PORT": str(port), "CENTRAL_LOG_DIR": str(central), "LOG_DIR": str(workdir / "collector")}
    proc = start(
        "collector", [PYTHON, "-m", "logpipe.collector"], env=env, workdir=workdir / "out", cwd=Path(_ROOT)
    )
    try:
        wait_until(lambda: port_open(port), timeout=15)
        yield central
    finally:
        proc.stop()


def count_central(central: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in central.glob("*/*.log"))


def run(requests: int, burst: int) -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix="bench-logging-"))
    logger = get_logger("bench")
    overhead = timer_overhead()
    rows: list[Row] = []

    def pipeline_call(i: int) -> None:
        log_event(logger, "message.received", "message received", user_len=5, n=i)

    def plain_call(i: int) -> None:
        logger.info("message received", extra={"event": "message.received", "user_len": 5, "n": i})

    try:
        # 1. No handler, stock logging (caller info collected: a stack walk per call).
        reset_root()
        stock_srcfile = logging._srcfile  # type: ignore[attr-defined]
        rows.append(measure("no handler (stock logging)", plain_call, requests, burst, overhead))
        # 2. No handler, caller info off, as logpipe configures logging.
        logging._srcfile = None  # type: ignore[attr-defined]
        rows.append(measure("no handler (caller info off)", plain_call, requests, burst, overhead))
        logging._srcfile = stock_srcfile  # type: ignore[attr-defined]

        up_port = free_port()
        with collector(work / "up", up_port) as central:
            # 3. logpipe, collector up.
            os.environ.update(FLUENTD_ENABLED="1", FLUENTD_PORT=str(up_port), LOG_DIR=str(work / "up-logs"))
            pipeline = setup_logging("bench_up")
            row = measure("logpipe, collector up", pipeline_call, requests, burst, overhead)
            made = 500 + requests * (CALLS_PER_REQUEST + 1) + burst
            pipeline.stop()
            wait_until(lambda: count_central(central) >= made, timeout=60)
            row.note = f"{count_central(central)} of {made} records in the central store"
            rows.append(row)
            reset_root()
            logging._srcfile = stock_srcfile  # type: ignore[attr-defined]

            # 5. fluent-logger FluentHandler (sync), collector up.
            fmt = {"level": "%(levelname)s", "message": "%(message)s", "event": "%(event)s"}
            sync_handler = fluent_handler.FluentHandler("bench.fluent", port=up_port)
            sync_handler.setFormatter(fluent_handler.FluentRecordFormatter(fmt))
            reset_root().addHandler(sync_handler)
            rows.append(
                measure("fluent-logger FluentHandler, collector up", plain_call, requests, burst, overhead)
            )
            reset_root()

            # 6. fluent-logger asynchandler.FluentHandler, collector up.
            async_handler = fluent_async.FluentHandler("bench.fluentasync", port=up_port)
            async_handler.setFormatter(fluent_handler.FluentRecordFormatter(fmt))
            reset_root().addHandler(async_handler)
            rows.append(
                measure("fluent-logger asynchandler, collector up", plain_call, requests, burst, overhead)
            )
            reset_root()

        # 4. logpipe, collector down: nothing listens on the port, every record goes to the spool.
        down_port = free_port()
        os.environ.update(FLUENTD_ENABLED="1", FLUENTD_PORT=str(down_port), LOG_DIR=str(work / "down-logs"))
        pipeline = setup_logging("bench_down")
        row = measure("logpipe, collector down", pipeline_call, requests, burst, overhead)
        pipeline.stop()
        spooled = pipeline.forwarder.spool.records if pipeline.forwarder else 0
        row.note = f"{spooled} records waiting in the spool"
        rows.insert(3, row)
        reset_root()
        logging._srcfile = stock_srcfile  # type: ignore[attr-defined]

        # 7. fluent-logger FluentHandler (sync), collector down.
        down_handler = fluent_handler.FluentHandler("bench.fluent", port=down_port)
        down_handler.setFormatter(fluent_handler.FluentRecordFormatter(fmt))
        reset_root().addHandler(down_handler)
        row = measure("fluent-logger FluentHandler, collector down", plain_call, requests, burst, overhead)
        row.note = "drops its buffer past 1 MiB"
        rows.append(row)
        reset_root()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def report(rows: list[Row], out: Path) -> None:
    base = rows[1].request_us  # no handler, caller info off: what any log call costs before a handler runs
    fluent_up = [r for r in rows if r.state.startswith("fluent-logger") and "up" in r.state]
    cheapest_fluent = min(r.request_us for r in fluent_up) if fluent_up else float("nan")
    header = (
        f"{'state':<44} {'request':>8} {'p50':>7} {'p99 1':>7} {'burst':>7} {'added':>7} {'vs fluent':>9}"
        "  note"
    )
    print(f"µs per log call on the caller's thread; request = mean over rounds of {CALLS_PER_REQUEST} calls,")
    print("p50 = median round, p99 1 = one call timed alone after an idle pause, burst = back to back,")
    print(
        "added = request minus 'no handler (caller info off)', vs fluent = request / cheapest fluent-logger"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.state:<44} {r.request_us:8.2f} {r.round_p50_us:7.2f} {r.call_p99_us:7.2f} {r.burst_us:7.2f} "
            f"{r.request_us - base:7.2f} {r.request_us / cheapest_fluent:8.2f}x  {r.note}"
        )
    ours = [r for r in rows if r.state.startswith("logpipe")]
    worst = max(r.request_us for r in ours)
    worst_added = max(r.request_us - base for r in ours)
    print(
        f"\nlogpipe, worst state: {worst:.2f} µs per call in all, {worst_added:.2f} µs added by the pipeline"
    )
    share = "meets" if worst_added <= TARGET_US else "MISSES"
    print(
        f"target {TARGET_US:.0f} µs: the pipeline's share {share} it; "
        f"the whole call {'meets' if worst <= TARGET_US else 'misses'} it "
        f"(a bare call with no handler costs {base:.2f} µs on this machine)"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    out.with_suffix(".svg").write_text(svg(rows))
    print(f"wrote {out} and {out.with_suffix('.svg')}")


def svg(rows: list[Row]) -> str:
    """A horizontal bar chart of the request-path mean, target drawn in: no plotting library needed."""
    width, bar_h, left = 760, 22, 330
    top = max(max(r.request_us for r in rows), TARGET_US) * 1.1
    scale = (width - left - 60) / top
    height = 40 + bar_h * len(rows) * 1.5
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}"'
        ' font-family="sans-serif" font-size="12">',
        '<text x="10" y="20">µs per log call, request path (mean over request-sized rounds)</text>',
    ]
    for i, r in enumerate(rows):
        y = 35 + i * bar_h * 1.5
        color = "#2b7" if r.state.startswith("logpipe") else "#888"
        parts.append(f'<text x="10" y="{y + 15:.0f}">{r.state}</text>')
        bar = r.request_us * scale
        parts.append(f'<rect x="{left}" y="{y:.0f}" width="{bar:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(
            f'<text x="{left + r.request_us * scale + 4:.1f}" y="{y + 15:.0f}">{r.request_us:.1f}</text>'
        )
    x = left + TARGET_US * scale
    parts.append(
        f'<line x1="{x:.1f}" y1="28" x2="{x:.1f}" y2="{height:.0f}" stroke="red" stroke-dasharray="4"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="request-sized rounds per state")
    parser.add_argument("--burst", type=int, default=20_000, help="back-to-back calls per state")
    parser.add_argument("--out", type=Path, default=Path(_ROOT) / "bench" / "out" / "logging.json")
    args = parser.parse_args()
    report(run(args.requests, args.burst), args.out)


if __name__ == "__main__":
    main()
