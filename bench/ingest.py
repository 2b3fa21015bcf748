"""Ingest throughput of service_1 (async mode, clean text) beside baselines measured in the same run.

    python -m bench.ingest [--seconds 5] [--concurrency 10 50 100]

Starts a private Redis, service_2, service_1 and two baseline servers (bench.baselines: a bare aiohttp
handler, and a naive one that publishes to Celery on the event loop), drives each with N concurrent
connections for a bounded time, and prints req/s and p50/p99 latency with the ratio to the bare handler.
The machine is shared and small: read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import uvloop

from tests.support.procs import PYTHON, ROOT, free_port, http_status, private_redis, start, wait_until

TEXTS = [
    "The delivery arrived on time, thanks a lot!",
    "Could you tell me when the next release is planned?",
    "Der Termin am Montag passt mir gut, danke.",
    "Le colis est arrivé en bon état, merci beaucoup.",
]


@dataclass
class Point:
    target: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def drive(url: str, concurrency: int, seconds: float) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def user(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < deadline:
                body = json.dumps({"user": f"user{n}", "text": TEXTS[i % len(TEXTS)]})
                i += 1
                started = time.perf_counter()
                try:
                    async with session.post(
                        url, data=body, headers={"Content-Type": "application/json"}
                    ) as resp:
                        await resp.read()
                        ok = resp.status == 202
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        await asyncio.gather(*(user(n) for n in range(concurrency)))
    return len(latencies), errors, latencies


def measure(target: str, url: str, concurrency: int, seconds: float) -> Point:
    uvloop.run(drive(url, concurrency, min(1.0, seconds)))  # warm-up: connections, caches
    started = time.perf_counter()
    count, errors, lat = uvloop.run(drive(url, concurrency, seconds))
    return Point(target, concurrency, count, errors, time.perf_counter() - started, lat)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ingest.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    with private_redis(work / "redis") as (_, redis_url):
        env = {
            "REDIS_URL": redis_url,
            "SERVICE_TOKEN": secrets.token_urlsafe(24),
            "LOG_DIR": str(work / "logs"),
            "REPORT_DIR": str(work / "reports"),
            "FLUENTD_ENABLED": "0",
        }
        ports = {name: free_port() for name in ("service_2", "service_1", "bare", "naive")}
        env["SVC2_PORT"] = str(ports["service_2"])
        env["SVC2_URL"] = f"http://127.0.0.1:{ports['service_2']}"
        env["SVC1_PORT"] = str(ports["service_1"])
        procs = [
            start("service_2", [PYTHON, "-m", "svc2"], env=env, workdir=work),
            start("service_1", [PYTHON, "-m", "svc1"], env=env, workdir=work),
            *(
                start(kind, [PYTHON, "-m", "bench.baselines", kind, str(ports[kind])], env=env, workdir=work)
                for kind in ("bare", "naive")
            ),
        ]
        try:
            for name in ("service_1", "bare", "naive"):
                wait_until(lambda n=name: http_status(f"http://127.0.0.1:{ports[n]}/healthz") == 200, 30)
            points: list[Point] = []
            for concurrency in args.concurrency:
                # Interleaved per concurrency level so a burst of noise on the machine hits all targets alike.
                for target in ("bare", "service_1", "naive"):
                    url = f"http://127.0.0.1:{ports[target]}/messages"
                    points.append(measure(target, url, concurrency, args.seconds))
        finally:
            for proc in procs:
                proc.stop()
    report(points, args.out)


def report(points: list[Point], out: Path) -> None:
    bare = {p.concurrency: p for p in points if p.target == "bare"}
    header = (
        f"{'target':<10} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'vs bare':>8}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for p in points:
        ratio = p.rps / bare[p.concurrency].rps
        print(
            f"{p.target:<10} {p.concurrency:>5} {p.rps:>8.0f} {p.pct(0.5):>8.2f} {p.pct(0.99):>8.2f} "
            f"{p.errors:>6} {ratio:>8.2f}"
        )
        rows.append(
            {"target": p.target, "concurrency": p.concurrency, "rps": p.rps, "p50_ms": p.pct(0.5),
             "p99_ms": p.pct(0.99), "errors": p.errors, "ratio_vs_bare": ratio}
        )  # fmt: skip
    med = statistics.median(r["ratio_vs_bare"] for r in rows if r["target"] == "service_1")
    print(f"\nservice_1 / bare handler, median over concurrency levels: {med:.2f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
