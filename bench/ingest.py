"""service_1's ingest throughput and CPU per request, beside baselines measured in the same run.

    python -m bench.ingest [--seconds 8] [--connections 50] [--repeat 3]
                           [--targets bare lpush svc1 svc1-quiet svc1-nofluent] [--profile]

The load generator is Debian's ``wrk`` (installed when missing, as root) with ``bench/wrk_post.lua``: clean
async JSON messages, a C client that is not the bottleneck. Every target is started fresh for each run, on
free ports, with a private Redis:

- ``bare``        an aiohttp + uvloop handler that parses the JSON and answers 202 (bench/baselines.py)
- ``lpush``       the same + one LPUSH of the body to Redis before answering: the least work
                  the contract allows
- ``svc1``        the real service_1 (``python -m svc1``), logging at INFO and streaming to the embedded
                  collector (``python -m logpipe.collector``), service_2 running, no worker (the queue grows)
- ``svc1-quiet``  the same with ``LOG_LEVEL=ERROR``: the A/B for logging's cost
- ``svc1-nofluent`` the same as svc1 with ``FLUENTD_ENABLED=0`` (files only, no stream, no collector)

For each run: req/s, p50/p99 latency (wrk's own histogram, via the Lua done() hook), non-2xx answers, and
the CPU seconds per request of every process involved (the server, the collector, Redis, service_2, read
from /proc before and after, threads and children included) plus wrk's own CPU, to show it had headroom.
The server's and collector's CPU include a settling tail after wrk stops (until the central log stops
growing), so work deferred to a background thread is still counted. Runs are interleaved (round 1 of
every target, then round 2, …); the table shows medians, and the ratios are medians of per-round ratios.

``--profile`` adds one svc1 run under py-spy (installed into the venv when missing) and prints where the
time goes: own time by function over all threads, on the main thread only, and the share of each thread.

Only public commands, environment variables and HTTP are used, so the bench keeps working while the
services' internals change. The machine is shared: quote medians and ratios, not one run.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, ensure_debian_tool, ensure_pip_tool, machine_busy_seconds
from tests.support.procs import PYTHON, ROOT, Proc, free_port, http_status, port_open, start, start_redis
from tests.support.procs import wait_until as _wait_until

LUA = ROOT / "bench" / "wrk_post.lua"
OUT = ROOT / "bench" / "out"
TARGETS = ("bare", "lpush", "svc1", "svc1-quiet", "svc1-nofluent")
DEFAULT_TARGETS = ("bare", "lpush", "svc1", "svc1-quiet")
PY_SPY = "py-spy==0.4.3"
# Large enough that neither the backlog limit nor a per-user rate refuses anything during a run.
HUGE = str(10**9)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    try:
        _wait_until(predicate, timeout)
    except TimeoutError as exc:
        raise SystemExit(f"bench: {what} did not come up within {timeout}s") from exc


@dataclass
class Stack:
    """The processes of one target, by role; ``server`` is the one wrk talks to."""

    url: str
    procs: dict[str, Proc] = field(default_factory=dict)
    log_dir: Path | None = None
    central_dir: Path | None = None

    def cpu(self) -> dict[str, float]:
        return {role: cpu_seconds(p.pid) for role, p in self.procs.items()}

    def check_alive(self) -> None:
        dead = [
            f"{role} (exit {p.popen.returncode}): {p.text()[-2000:]}"
            for role, p in self.procs.items()
            if not p.alive()
        ]
        if dead:
            raise SystemExit("bench: a process died:\n" + "\n".join(dead))


def count_lines(root: Path | None, pattern: str) -> int:
    if root is None or not root.exists():
        return 0
    total = 0
    for path in root.glob(pattern):
        with contextlib.suppress(FileNotFoundError), path.open("rb") as f:
            while chunk := f.read(1 << 20):
                total += chunk.count(b"\n")
    return total


@contextlib.contextmanager
def target_stack(target: str, work: Path) -> Iterator[Stack]:
    """Starts ``target`` fresh in ``work`` and stops exactly what it started."""
    started: list[Proc] = []
    try:
        if target == "bare":
            port = free_port()
            server = start("bare", [PYTHON, "-m", "bench.baselines", "bare", str(port)], env={}, workdir=work)
            started.append(server)
            stack = Stack(f"http://127.0.0.1:{port}", {"server": server})
        elif target == "lpush":
            redis_port, port = free_port(), free_port()
            redis = start_redis(work / "redis", redis_port)
            started.append(redis)
            env = {"REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
            server = start(
                "lpush", [PYTHON, "-m", "bench.baselines", "lpush", str(port)], env=env, workdir=work
            )
            started.append(server)
            stack = Stack(f"http://127.0.0.1:{port}", {"server": server, "redis": redis})
        else:
            stack = yield_svc1_stack(target, work, started)
        wait_until(lambda: http_status(f"{stack.url}/healthz") == 200, 60, f"{target} /healthz")
        if target.startswith("svc1"):
            wait_until(lambda: http_status(f"{stack.url}/readyz") == 200, 60, f"{target} /readyz")
        yield stack
    finally:
        for proc in reversed(started):
            proc.stop()


def yield_svc1_stack(target: str, work: Path, started: list[Proc]) -> Stack:
    redis_port, collector_port, svc2_port, svc1_port = (free_port() for _ in range(4))
    redis = start_redis(work / "redis", redis_port)
    started.append(redis)
    log_dir, central_dir = work / "logs", work / "logs" / "central"
    streaming = target != "svc1-nofluent"
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SERVICE_TOKEN": secrets.token_urlsafe(24),
        "LOG_DIR": str(log_dir),
        "CENTRAL_LOG_DIR": str(central_dir),
        "REPORT_DIR": str(work / "reports"),
        "LOG_LEVEL": "INFO",
        "FLUENTD_ENABLED": "1" if streaming else "0",
        "FLUENTD_HOST": "127.0.0.1",
        "FLUENTD_PORT": str(collector_port),
        "SVC2_PORT": str(svc2_port),
        "SVC2_URL": f"http://127.0.0.1:{svc2_port}",
        "SVC1_PORT": str(svc1_port),
        "MAX_BACKLOG": HUGE,
        "USER_RATE": HUGE,
        "USER_BURST": HUGE,
    }
    procs: dict[str, Proc] = {}
    if streaming:
        collector = start("collector", [PYTHON, "-m", "logpipe.collector"], env=env, workdir=work)
        started.append(collector)
        procs["collector"] = collector
        wait_until(lambda: port_open(collector_port), 30, "the collector")
    svc2 = start("service_2", [PYTHON, "-m", "svc2"], env=env, workdir=work)
    started.append(svc2)
    svc1_env = {**env, "LOG_LEVEL": "ERROR"} if target == "svc1-quiet" else env
    svc1 = start("service_1", [PYTHON, "-m", "svc1"], env=svc1_env, workdir=work)
    started.append(svc1)
    procs = {"server": svc1, **procs, "redis": redis, "svc2": svc2}
    return Stack(f"http://127.0.0.1:{svc1_port}", procs, log_dir=log_dir, central_dir=central_dir)


_REQUESTS_TOTAL = re.compile(r"^\w*http_requests_total\{([^}]*)\}\s+(\S+)$", re.M)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def post_statuses(url: str) -> dict[str, float]:
    """POST /messages answers by status from the service's own /metrics (Prometheus text), or {} when it
    has none: wrk itself only counts non-2xx/3xx, not which status."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
            text = resp.read().decode(errors="replace")
    except (OSError, ValueError):
        return {}
    found: dict[str, float] = collections.defaultdict(float)
    for labels, value in _REQUESTS_TOTAL.findall(text):
        fields = dict(_LABEL.findall(labels))
        if fields.get("method") == "POST" and "messages" in fields.get("route", "") and "status" in fields:
            with contextlib.suppress(ValueError):
                found[fields["status"]] += float(value)
    return dict(found)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu_seconds: float


def run_wrk(wrk: str, url: str, seconds: float, connections: int, threads: int) -> WrkResult:
    args = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(LUA),
        f"{url}/messages",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # wait4 gives the child's own rusage: wrk's CPU, to show the generator had headroom.
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    line = next((ln for ln in output.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed (exit {proc.returncode}):\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = data["errors"]
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        p50_ms=data["latency_us"]["p50"] / 1000,
        p99_ms=data["latency_us"]["p99"] / 1000,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


@dataclass
class Run:
    target: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    seconds: float
    # CPU microseconds per request of each process role (server, collector, redis, svc2) and wrk.
    cpu_us_per_req: dict[str, float]
    # Share of one core each role used while wrk ran (without the settling tail).
    core_share: dict[str, float]
    records_per_req: float | None
    central_per_req: float | None
    settle_seconds: float
    # POST /messages answers by status during the measured run (svc1 targets, from its /metrics).
    statuses: dict[str, float] = field(default_factory=dict)


def settle(stack: Stack, timeout: float = 30.0) -> float:
    """Waits until the service's log file and the central log stop growing (background shipping done)."""
    if stack.log_dir is None:
        return 0.0
    started = time.monotonic()
    last = (-1, -1)
    stable_since = time.monotonic()
    while time.monotonic() - started < timeout:
        now = (count_lines(stack.log_dir, "service_1.txt*"), count_lines(stack.central_dir, "**/*.log"))
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 1.0:
            break
        time.sleep(0.25)
    return time.monotonic() - started


def measure(
    target: str, rnd: int, args: argparse.Namespace, wrk: str, work: Path, profile_to: Path | None = None
) -> Run:
    with target_stack(target, work) as stack:
        run_wrk(wrk, stack.url, min(1.0, args.seconds), args.connections, args.threads)  # warm-up
        settle(stack, timeout=10)
        svc = stack.log_dir is not None
        statuses0 = post_statuses(stack.url) if svc else {}
        own0 = count_lines(stack.log_dir, "service_1.txt*")
        central0 = count_lines(stack.central_dir, "**/*.log")
        cpu0 = stack.cpu()
        busy0 = machine_busy_seconds()
        t0 = time.monotonic()
        spy = None
        if profile_to is not None:
            spy = start_py_spy(stack.procs["server"].pid, args.seconds, profile_to)
        result = run_wrk(wrk, stack.url, args.seconds, args.connections, args.threads)
        wall = time.monotonic() - t0
        cpu1 = stack.cpu()
        busy1 = machine_busy_seconds()
        if spy is not None:
            spy.wait(60)
        statuses1 = post_statuses(stack.url) if svc else {}
        tail = settle(stack)
        cpu2 = stack.cpu()
        own1 = count_lines(stack.log_dir, "service_1.txt*")
        central1 = count_lines(stack.central_dir, "**/*.log")
        stack.check_alive()
    n = max(1, result.requests)
    per_req = {role: (cpu2[role] - cpu0[role]) * 1e6 / n for role in cpu0}
    per_req["wrk"] = result.cpu_seconds * 1e6 / n
    share = {role: (cpu1[role] - cpu0[role]) / wall for role in cpu0}
    share["wrk"] = result.cpu_seconds / wall
    # Everything else the machine ran meanwhile (other agents' work): noise to be read beside the numbers.
    share["others"] = max(0.0, (busy1 - busy0) / wall - sum(share.values()))
    return Run(
        target=target,
        round=rnd,
        rps=result.requests / result.seconds,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        requests=result.requests,
        non_2xx=result.non_2xx,
        socket_errors=result.socket_errors,
        seconds=result.seconds,
        cpu_us_per_req=per_req,
        core_share=share,
        records_per_req=(own1 - own0) / n if svc else None,
        central_per_req=(central1 - central0) / n if svc else None,
        settle_seconds=tail,
        statuses={k: v - statuses0.get(k, 0) for k, v in statuses1.items() if v - statuses0.get(k, 0)},
    )


# ---------------------------------------------------------------------------------------------- profile


def start_py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    py_spy = ensure_pip_tool("py-spy", PY_SPY)
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, int(seconds))),
        "--rate",
        "100",
        "--format",
        "raw",
        "--threads",
        "--output",
        str(out),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)  # attached before the load starts
    if proc.poll() is not None:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"bench: py-spy could not attach (needs ptrace rights):\n{err}")
    return proc


_LINE = re.compile(r":\d+\)$")


def _frame(raw: str) -> str:
    return _LINE.sub(")", raw.strip())


def analyse_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Own time by function (all threads, main thread only) and each thread's share, from py-spy's raw
    (collapsed stacks) output with --threads: ``thread (0x..);outer (file:line);...;leaf (file:line) N``."""
    stacks: list[tuple[str, list[str], int]] = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        parts = stack.split(";")
        thread = next((p for p in parts if p.startswith("thread (")), "thread (?)")
        frames = [_frame(p) for p in parts if not p.startswith(("thread (", "process "))]
        stacks.append((thread, frames, int(count)))
    total = sum(c for _, _, c in stacks) or 1
    # The main thread is the one running the module (runpy); the others start in threading's bootstrap.
    by_thread: dict[str, int] = collections.Counter()
    label: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    main_threads: set[str] = set()
    for thread, frames, count in stacks:
        by_thread[thread] += count
        if any("_run_module_as_main" in f or f.startswith("<module>") for f in frames[:3]):
            main_threads.add(thread)
        inner = [f for f in frames if "threading.py" not in f]
        label[thread][inner[0] if inner else (frames[0] if frames else "?")] += count
    own_all: collections.Counter[str] = collections.Counter()
    own_main: collections.Counter[str] = collections.Counter()
    incl_main: collections.Counter[str] = collections.Counter()
    main_total = 0
    for thread, frames, count in stacks:
        leaf = frames[-1] if frames else "?"
        own_all[leaf] += count
        if thread in main_threads:
            main_total += count
            own_main[leaf] += count
            for f in set(frames):
                incl_main[f] += count
    main_total = main_total or 1
    # Frames on every main-thread sample (runpy, main, run_app) say nothing.
    for f in [f for f, c in incl_main.items() if c >= 0.995 * main_total]:
        del incl_main[f]

    def rows(counter: collections.Counter[str], denom: int) -> list[list[Any]]:
        return [[name, round(100 * c / denom, 1)] for name, c in counter.most_common(top)]

    threads = []
    for thread, count in sorted(by_thread.items(), key=lambda kv: -kv[1]):
        name = "main" if thread in main_threads else label[thread].most_common(1)[0][0]
        threads.append([f"{name} [{thread}]", round(100 * count / total, 1)])
    return {
        "samples": total,
        "threads": threads,
        "own_all_threads_pct_of_all": rows(own_all, total),
        "own_main_thread_pct_of_main": rows(own_main, main_total),
        "inclusive_main_thread_pct_of_main": rows(incl_main, main_total),
    }


def print_profile(prof: dict[str, Any]) -> str:
    lines = [f"\n## py-spy profile of svc1 under load ({prof['samples']} samples, CPU only, idle excluded)\n"]
    lines.append(
        "Own time of `run_app (aiohttp/web.py)` is time in C below the last Python frame: uvloop's loop "
        "(epoll, socket reads and writes), aiohttp's C HTTP parser, hiredis."
    )
    for title, key in (
        ("Share of samples by thread", "threads"),
        ("Own time by function, all threads (% of all samples)", "own_all_threads_pct_of_all"),
        ("Own time by function, main thread (% of main-thread samples)", "own_main_thread_pct_of_main"),
        ("Inclusive time, main thread (% of main-thread samples)", "inclusive_main_thread_pct_of_main"),
    ):
        lines += [f"\n{title}:\n", "| % | function |", "|---:|---|"]
        lines += [f"| {pct} | `{name}` |" for name, pct in prof[key]]
    text = "\n".join(lines)
    print(text)
    return text


# ---------------------------------------------------------------------------------------------- report


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: list[Run], args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    targets = [t for t in args.targets if any(r.target == t for r in runs)]
    roles = ("server", "collector", "redis", "svc2", "wrk")
    summary: dict[str, Any] = {}
    for t in targets:
        rs = [r for r in runs if r.target == t]
        summary[t] = {
            "runs": len(rs),
            "rps": med([r.rps for r in rs]),
            "best_rps": max(r.rps for r in rs),
            "p50_ms": med([r.p50_ms for r in rs]),
            "p99_ms": med([r.p99_ms for r in rs]),
            "non_2xx": med([r.non_2xx for r in rs]),
            "socket_errors": med([r.socket_errors for r in rs]),
            "cpu_us_per_req": {
                role: med([r.cpu_us_per_req[role] for r in rs])
                for role in roles
                if role in rs[0].cpu_us_per_req
            },
            "core_share": {role: med([r.core_share[role] for r in rs]) for role in rs[0].core_share},
            "cpu_us_per_req_total": med(
                [sum(v for k, v in r.cpu_us_per_req.items() if k != "wrk") for r in rs]
            ),
            "records_per_req": med([r.records_per_req for r in rs if r.records_per_req is not None]),
            "central_per_req": med([r.central_per_req for r in rs if r.central_per_req is not None]),
        }

    def us(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}"

    head = (
        f"wrk {args.threads} thread, {args.connections} connections, {args.seconds:g} s, "
        f"{args.repeat} interleaved round(s); medians; CPU in µs per request (incl. settling tail)"
    )
    lines = [f"# bench.ingest — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "", head, ""]
    lines += [
        "| target | req/s | p50 ms | p99 ms | non-2xx | sock err | server µs/req | collector µs/req "
        "| redis µs/req | svc2 µs/req | total µs/req | wrk µs/req | server %core | wrk %core "
        "| others %core | records/req | central/req | best req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in targets:
        s = summary[t]
        c = s["cpu_us_per_req"]
        rec = s["records_per_req"]
        cen = s["central_per_req"]
        lines.append(
            f"| {t} | {s['rps']:.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['non_2xx']:.0f} "
            f"| {s['socket_errors']:.0f} | {us(c.get('server'))} | {us(c.get('collector'))} "
            f"| {us(c.get('redis'))} | {us(c.get('svc2'))} | {s['cpu_us_per_req_total']:.0f} "
            f"| {us(c.get('wrk'))} | {100 * s['core_share']['server']:.0f}% "
            f"| {100 * s['core_share']['wrk']:.0f}% | {100 * s['core_share']['others']:.0f}% "
            f"| {'—' if rec != rec else f'{rec:.2f}'} | {'—' if cen != cen else f'{cen:.2f}'} "
            f"| {s['best_rps']:.0f} |"
        )

    # Ratios within each round (the same minute of a shared machine), then their median.
    def total_us(r: Run) -> float:
        return sum(v for k, v in r.cpu_us_per_req.items() if k != "wrk")

    def ratio(a: str, b: str, value: Any = lambda r: r.rps) -> float | None:
        if a not in summary or b not in summary:
            return None
        per_round = []
        for rnd in range(args.repeat):
            ra = [r for r in runs if r.target == a and r.round == rnd]
            rb = [r for r in runs if r.target == b and r.round == rnd]
            if ra and rb:
                per_round.append(value(ra[0]) / value(rb[0]))
        return med(per_round) if per_round else None

    pairs = [
        ("svc1", "lpush"),
        ("svc1", "bare"),
        ("lpush", "bare"),
        ("svc1", "svc1-quiet"),
        ("svc1-nofluent", "svc1-quiet"),
        ("svc1", "svc1-nofluent"),
    ]
    ratios = {f"{a} / {b}": ratio(a, b) for a, b in pairs}
    # The same comparison by cost: b's CPU per request over a's (all server-side processes), so 1/x of
    # the work is read the same way as 1/x of the throughput; steadier than req/s on a busy machine.
    cost_ratios = {f"{a} / {b}": ratio(b, a, total_us) for a, b in pairs}
    lines += [
        "",
        "| ratio (median of per-round ratios) | by req/s | by CPU per request (inverse) |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {k} | {v:.2f} | {cost_ratios[k]:.2f} |"
        for k, v in ratios.items()
        if v is not None and cost_ratios[k] is not None
    ]
    notes = []
    if ratios["svc1 / svc1-quiet"] is not None:
        notes.append(
            f"logging and streaming share of svc1's throughput = 1 - svc1/svc1-quiet = "
            f"{1 - ratios['svc1 / svc1-quiet']:.0%} (by CPU per request: "
            f"{1 - cost_ratios['svc1 / svc1-quiet']:.0%})"
        )
    if ratios["svc1 / svc1-nofluent"] is not None:
        share = 1 - ratios["svc1 / svc1-nofluent"]
        notes.append(f"the forward stream alone = 1 - svc1/svc1-nofluent = {share:.0%}")
    if "svc1" in summary and summary["svc1"]["central_per_req"] == summary["svc1"]["central_per_req"]:
        s = summary["svc1"]
        cen = s["central_per_req"]
        if cen:
            notes.append(
                f"collector CPU per central record (svc1): "
                f"{s['cpu_us_per_req'].get('collector', 0) / cen:.0f} µs"
            )
    for t in targets:
        bad: dict[str, float] = collections.defaultdict(float)
        for r in runs:
            if r.target == t:
                for status, n in r.statuses.items():
                    if not status.startswith("2"):
                        bad[status] += n
        if bad:
            listed = ", ".join(f"{k}: {v:.0f}" for k, v in sorted(bad.items()))
            notes.append(f"{t}: non-2xx answers by status, all rounds (service's /metrics): {listed}")
    # Is the generator the bottleneck? wrk must have headroom while the server is saturated.
    for t in targets:
        s = summary[t]
        server, gen = s["core_share"]["server"], s["core_share"]["wrk"]
        if gen >= 0.9:
            verdict = "WARNING: wrk near a full core — the generator may be the limit"
        elif server >= 0.85:
            verdict = "the server is saturated and wrk has headroom: this is the server's own ceiling"
        else:
            verdict = "the server is below a full core (waiting on Redis / others, or a busy machine)"
        notes.append(f"{t}: server at {server:.0%} of a core, wrk at {gen:.0%} — {verdict}")
    notes.append(
        "others %core: CPU the rest of the machine used during the run (other agents); "
        "a run with much of it is slowed — best req/s is the least disturbed round"
    )
    lines += [""] + [f"- {n}" for n in notes]
    text = "\n".join(lines) + "\n"
    data = {
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "summary": summary,
        "ratios": ratios,
        "cost_ratios": cost_ratios,
        "notes": notes,
        "runs": [asdict(r) for r in runs],
    }
    return data, text


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="wrk duration per run (default 8)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(DEFAULT_TARGETS))
    parser.add_argument("--profile", action="store_true", help="one more svc1 run under py-spy")
    parser.add_argument("--out", type=Path, default=OUT / "ingest.json")
    args = parser.parse_args()

    wrk = ensure_debian_tool("wrk", "wrk")
    if args.profile:
        ensure_pip_tool("py-spy", PY_SPY)
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    runs: list[Run] = []
    try:
        for rnd in range(args.repeat):
            for target in args.targets:
                run = measure(target, rnd, args, wrk, work / f"{target}-{rnd}")
                runs.append(run)
                print(
                    f"round {rnd + 1}/{args.repeat} {target:<14} {run.rps:>8.0f} req/s  "
                    f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  non-2xx {run.non_2xx}  "
                    f"server {run.cpu_us_per_req['server']:.0f} µs/req "
                    f"({run.core_share['server']:.0%} core), wrk {run.core_share['wrk']:.0%} core, "
                    f"others {run.core_share['others']:.0%}",
                    flush=True,
                )
        prof = None
        if args.profile:
            raw = OUT / "svc1-profile.txt"
            run = measure("svc1", -1, args, wrk, work / "svc1-profile", profile_to=raw)
            print(f"profile run: svc1 {run.rps:.0f} req/s under py-spy (raw stacks in {raw})")
            prof = analyse_profile(raw)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data, text = report(runs, args)
    if prof is not None:
        data["profile"] = prof
    print("\n" + text)
    if prof is not None:
        text += print_profile(prof) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2))
    args.out.with_suffix(".md").write_text(text)
    print(f"\nwritten: {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
