"""The product's scaling table, measured on this machine: topologies × simultaneous users.

    python -m bench.scale [--quick] [--topologies 1x2 2x4 4x8 1x8] [--users 10 50 100 200]
                          [--seconds 20] [--think 1.0] [--analysis-ms 50] [--wait] [--max-backlog N]
    python -m bench.scale --recommend --users 100 [--analysis-ms 50] [--think 1.0]

Each topology ``RxW`` (R service_1 replicas, W Celery workers) is started with the README's run command,
``SVC1_REPLICAS=R WORKERS=W scripts/run`` (nginx in front when R > 1, Flower, the collector, service_2, a
private Redis on a free port, private ports and directories), exactly as a user runs it. Each simultaneous
user is a closed loop: POST a clean message, (with ``--wait``: poll GET /messages/{id} until done), think
(uniform 0.5–1.5 × ``--think`` s), repeat. Workers pay ``ANALYSIS_EXTRA_COST_MS`` per message so they matter.

Per cell: accepted msg/s (202), processed msg/s (done within the window), POST p50/p99, end-to-end p50/p99
(POST sent → status ``done``, from the ``updated`` time the worker stores; ``∞`` = not done within the cell
and its grace period), the deepest queue (LLEN sampled every 100 ms), errors by status and code (a 429
``overloaded`` is the MAX_BACKLOG limit), the stack's CPU and the clients' CPU.

The load comes from several client processes (one asyncio loop each, users spread over them); the output
shows their CPU and, once per run, their ceiling against a bare aiohttp handler, so the clients are seen
not to be what limits the numbers. Results: bench/out/scale[-quick].{json,md,png}. ``--recommend`` reads
the measured capacities from bench/out/scale.json (or the quick run's) and prints SVC1_REPLICAS/WORKERS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

from bench.procstat import CLK_TCK
from harness.procs import PYTHON, ROOT, free_port, http_status, port_open, start, wait_until

OUT = ROOT / "bench" / "out"
TEXTS = [
    "The delivery arrived on time, thanks a lot!",
    "Could you tell me when the next release is planned?",
    "Der Termin am Montag passt mir gut, danke.",
    "Le colis est arrivé en bon état, merci beaucoup.",
    "The new dashboard is much faster than the old one, great work.",
]
CORES = os.cpu_count() or 1
DEFAULT_TOPOLOGIES = ["1x2", "2x4", "4x8", "1x8"]
QUICK_TOPOLOGIES = ["1x2", "2x4", "4x8"]
# Threads per worker (the product's default), used to turn a worker's rate into a time per task.
WORKER_THREADS = 2


def own_cpu(pid: int) -> float:
    """User + system CPU seconds of this one process (its threads included, its children not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(pid: int) -> list[int]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


# --- the load: client processes ---------------------------------------------------------------------------


@dataclass
class ClientPlan:
    url: str
    users: list[int]
    warmup: float
    seconds: float
    think: float
    wait: bool
    seed: int


def client_main(plan: ClientPlan, results: Any, go: Any, start_at: Any) -> None:
    """One client process: an asyncio loop with its share of the users. Sends back its records and CPU."""
    import aiohttp  # noqa: F401  (imported before "ready": the start is not delayed by imports)
    import uvloop

    results.put("ready")
    go.wait()
    cpu0 = time.process_time()
    records = uvloop.run(_drive(plan, start_at.value))
    results.put({"records": records, "cpu": time.process_time() - cpu0})


async def _drive(plan: ClientPlan, start_at: float) -> list[tuple[float, float, int, str]]:
    import aiohttp

    rnd = random.Random(plan.seed)
    records: list[tuple[float, float, int, str]] = []
    measure_from = start_at + plan.warmup
    stop_at = measure_from + plan.seconds
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    await asyncio.sleep(max(0.0, start_at - time.time()))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def user(n: int) -> None:
            # Users arrive spread over one think time, not all in the same millisecond.
            await asyncio.sleep(rnd.uniform(0, plan.think))
            i = n
            headers = {"Content-Type": "application/json"}
            while time.time() < stop_at:
                # With no think time (the capacity probes) each post is from a user of its own, so that the
                # per-user rate limit (USER_RATE) is not what is measured.
                name = f"user{n}" if plan.think else f"probe{n}-{i}"
                body = json.dumps({"user": name, "text": TEXTS[i % len(TEXTS)]})
                i += 1
                sent = time.time()
                started = time.perf_counter()
                message_id = ""
                try:
                    async with session.post(f"{plan.url}/messages", data=body, headers=headers) as resp:
                        raw = await resp.read()
                        code = resp.status
                    payload = json.loads(raw) if raw else {}
                    message_id = payload.get("id", "") if code == 202 else str(payload.get("error", ""))
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    code, message_id = 0, type(exc).__name__
                latency = time.perf_counter() - started
                if sent >= measure_from:
                    records.append((sent, latency, code, message_id))
                if plan.wait and code == 202:
                    await _poll_done(session, plan.url, message_id, stop_at)
                if plan.think:
                    await asyncio.sleep(rnd.uniform(0.5, 1.5) * plan.think)

        await asyncio.gather(*(user(n) for n in plan.users))
    return records


async def _poll_done(session: Any, url: str, message_id: str, stop_at: float) -> None:
    import aiohttp

    while time.time() < stop_at:
        try:
            async with session.get(f"{url}/messages/{message_id}") as resp:
                if resp.status == 200 and (await resp.json()).get("status") in ("done", "failed"):
                    return
        except (aiohttp.ClientError, TimeoutError, ValueError):
            pass
        await asyncio.sleep(0.1)


@dataclass
class Load:
    """Client processes that are started, ready, and then let go together."""

    results: Any
    procs: list[Any]
    measure_from: float
    measure_to: float

    def collect(self, timeout: float) -> tuple[list[tuple[float, float, int, str]], float]:
        records: list[tuple[float, float, int, str]] = []
        cpu = 0.0
        for _ in self.procs:
            got = self.results.get(timeout=timeout)
            records.extend(got["records"])
            cpu += got["cpu"]
        for proc in self.procs:
            proc.join(10)
        return records, cpu


def start_load(
    url: str, users: int, clients: int, seconds: float, warmup: float, think: float, wait: bool
) -> Load:
    ctx = mp.get_context("spawn")
    results, go, start_at = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = []
    for k in range(clients):
        share = list(range(k, users, clients))
        if share:
            plan = ClientPlan(url, share, warmup, seconds, think, wait, seed=k * 7919 + users)
            proc = ctx.Process(target=client_main, args=(plan, results, go, start_at), daemon=True)
            proc.start()
            procs.append(proc)
    for _ in procs:
        assert results.get(timeout=120) == "ready"
    start_at.value = time.time() + 0.2
    go.set()
    return Load(results, procs, start_at.value + warmup, start_at.value + warmup + seconds)


# --- the system under test: the run command ---------------------------------------------------------------


@dataclass
class Topology:
    replicas: int
    workers: int

    @classmethod
    def parse(cls, spec: str) -> Topology:
        r, w = spec.lower().split("x")
        return cls(int(r), int(w))

    @property
    def name(self) -> str:
        lb = "nginx + " if self.replicas > 1 else ""
        return f"{lb}{self.replicas} svc1 + {self.workers} workers"

    @property
    def spec(self) -> str:
        return f"{self.replicas}x{self.workers}"


class Stack:
    """``SVC1_REPLICAS=R WORKERS=W scripts/run`` on private ports, in its own session, stopped by SIGINT."""

    def __init__(self, topology: Topology, work: Path, analysis_ms: float, max_backlog: int | None) -> None:
        self.topology = topology
        self.work = work
        names = ("svc1", "svc2", "viewer", "fluentd", "redis", "flower")
        self.ports = {name: free_port() for name in names}
        self.queue = f"scale-{secrets.token_hex(4)}"
        self.env = {
            "SVC1_REPLICAS": str(topology.replicas),
            "WORKERS": str(topology.workers),
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "SVC1_PORT": str(self.ports["svc1"]),
            "SVC2_PORT": str(self.ports["svc2"]),
            "SVC2_URL": f"http://127.0.0.1:{self.ports['svc2']}",
            "LOGVIEW_PORT": str(self.ports["viewer"]),
            "FLUENTD_PORT": str(self.ports["fluentd"]),
            "FLOWER_PORT": str(self.ports["flower"]),
            "LOG_DIR": str(work / "logs"),
            "REPORT_DIR": str(work / "reports"),
            "CENTRAL_LOG_DIR": str(work / "logs" / "central"),
            "VAR_DIR": str(work / "var"),
            "CELERY_QUEUE": self.queue,
            "ANALYSIS_EXTRA_COST_MS": str(analysis_ms),
            "SERVICE_TOKEN": "",
            "FLUENTD_HOST": "",
        }
        if max_backlog is not None:
            self.env["MAX_BACKLOG"] = str(max_backlog)
        self.proc = start("run", ["bash", str(ROOT / "scripts" / "run")], env=self.env, workdir=work)
        self.pids: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['svc1']}"

    def wait_ready(self) -> None:
        logs = self.work / "logs"
        wait_until(lambda: http_status(f"{self.url}/readyz") == 200, timeout=180)
        if self.topology.replicas > 1:
            wait_until(
                lambda: all(
                    (p := logs / f"service_1-{i}.txt").exists() and "service.started" in p.read_text()
                    for i in range(1, self.topology.replicas + 1)
                ),
                timeout=60,
            )
        wait_until(
            lambda: all(
                (p := logs / f"worker{k}.txt").exists() and "ready." in p.read_text()
                for k in range(1, self.topology.workers + 1)
            ),
            timeout=90,
        )
        wait_until(lambda: http_status(f"http://127.0.0.1:{self.ports['flower']}/healthcheck") == 200, 60)
        self.refresh_pids()

    def refresh_pids(self) -> None:
        self.pids |= set(descendants(self.proc.pid))

    def cpu_by_role(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for pid in descendants(self.proc.pid):
            role = role_of(command(pid))
            roles[role] = roles.get(role, 0.0) + own_cpu(pid)
        return roles

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=5)

    def stop(self) -> None:
        self.refresh_pids()
        self.proc.kill(signal.SIGINT)
        try:
            self.proc.popen.wait(60)
        except subprocess.TimeoutExpired:
            pass
        self.proc.stop()
        for pid in self.pids:  # only what this run started
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for port in self.ports.values():
            wait_until(lambda port=port: not port_open(port), timeout=30)


def role_of(cmd: str) -> str:
    if "-m svc1" in cmd:
        return "service_1"
    if "-m svc2" in cmd:
        return "service_2"
    if "flower" in cmd:
        return "flower"
    if "worker" in cmd and "celery" in cmd:
        return "workers"
    if "nginx" in cmd:
        return "nginx"
    if "redis-server" in cmd:
        return "redis"
    if "logpipe.collector" in cmd:
        return "collector"
    if "logview" in cmd:
        return "viewer"
    return "other"


# --- capacity probes, per topology ---------------------------------------------------------------------


@dataclass
class Probe:
    topology: str
    spec: str
    replicas: int
    workers: int
    idle_cpu_pct: float
    drain_msg_s: float  # the workers at full tilt: jobs queued at once, drained
    accept_msg_s: float  # the front at full tilt: POSTs with no think time, 202s per second
    accept_p50_ms: float


def keep_empty(stack: Stack, stop: threading.Event) -> None:
    client = stack.redis()
    while not stop.wait(0.05):
        with contextlib.suppress(redis.RedisError):
            client.delete(stack.queue)


def probe(stack: Stack, args: argparse.Namespace) -> Probe:
    from bench.drain_events import release, stage, wait_done

    client = stack.redis()
    before, t0 = stack.cpu_by_role(), time.monotonic()
    time.sleep(3.0)
    after, t1 = stack.cpu_by_role(), time.monotonic()
    idle = sum(after.values()) - sum(before.get(k, 0.0) for k in after)
    # Workers: about 4 s of their work at this analysis cost, queued at once.
    n = max(100, int(4 * stack.topology.workers * WORKER_THREADS * 1000 / (args.analysis_ms + 5)))
    client.delete(stack.queue)
    staging, ids = stage(client, stack.env, n)
    started = time.perf_counter()
    release(client, stack.env, staging)
    wait_done(client, ids, timeout=300)
    drain = n / (time.perf_counter() - started)
    # The front: 64 users with no think time for a few seconds, twice (the better one counts: a capacity
    # is what it can do; the machine is shared); the queue they fill is thrown away.
    # The queue is emptied every 50 ms meanwhile, so that MAX_BACKLOG is not what is measured either.
    best: list[tuple[float, float, int, str]] = []
    for _ in range(1 if args.quick else 2):
        stop = threading.Event()
        drainer = threading.Thread(target=keep_empty, args=(stack, stop), daemon=True)
        drainer.start()
        load = start_load(stack.url, 64, args.clients, 3.0, 1.0, 0.0, False)
        records, _ = load.collect(timeout=120)
        stop.set()
        drainer.join()
        client.delete(stack.queue)
        ok = [r for r in records if r[2] == 202]
        if len(ok) > len(best):
            best = ok
        time.sleep(1.0)
    ok = best
    return Probe(
        topology=stack.topology.name,
        spec=stack.topology.spec,
        replicas=stack.topology.replicas,
        workers=stack.topology.workers,
        idle_cpu_pct=idle * 100 / (t1 - t0),
        drain_msg_s=drain,
        accept_msg_s=len(ok) / 3.0,
        accept_p50_ms=percentile([r[1] * 1000 for r in ok], 0.5),
    )


# --- one cell -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    topology: str
    spec: str
    replicas: int
    workers: int
    users: int
    seconds: float
    accepted_per_s: float
    processed_per_s: float
    post_p50_ms: float
    post_p99_ms: float
    e2e_p50_ms: float  # inf: not done within the window + grace
    e2e_p99_ms: float
    done_share: float
    deepest_queue: int
    errors: dict[str, int]
    overloaded: int
    stack_cpu_pct: float
    client_cpu_pct: float
    cpu_by_role_pct: dict[str, float] = field(default_factory=dict)
    backlog_limit: int | None = None
    stack_cpu_ms_per_msg: float = 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_cell(stack: Stack, users: int, args: argparse.Namespace) -> Cell:
    client = stack.redis()
    client.delete(stack.queue)
    time.sleep(0.3)
    load = start_load(stack.url, users, args.clients, args.seconds, args.warmup, args.think, args.wait)
    measure_from, measure_to = load.measure_from, load.measure_to
    # Sample the queue while the clients run; CPU of the stack over exactly the measured window.
    deepest = 0
    cpu_before: dict[str, float] | None = None
    while time.time() < measure_to:
        if cpu_before is None and time.time() >= measure_from:
            cpu_before = stack.cpu_by_role()
        with contextlib.suppress(redis.RedisError):
            deepest = max(deepest, int(client.llen(stack.queue)))
        time.sleep(0.1)
    cpu_after = stack.cpu_by_role()
    cpu_before = cpu_before or {}
    records, client_cpu = load.collect(timeout=args.seconds + args.warmup + 60)
    window = args.seconds

    accepted = [r for r in records if r[2] == 202]
    # Grace: give what was accepted a few seconds to be done, then read when each was.
    ids = [r[3] for r in accepted]
    done_at = wait_done_times(client, ids, grace=args.grace)
    e2e = [(done_at[r[3]] - r[0]) * 1000 if r[3] in done_at else math.inf for r in accepted]
    processed = sum(1 for t in done_at.values() if measure_from <= t <= measure_to)
    errors: dict[str, int] = {}
    for r in records:
        if r[2] != 202:
            key = f"{r[2]} {r[3]}".strip() if r[2] else f"conn {r[3]}"
            errors[key] = errors.get(key, 0) + 1
    roles = {k: (cpu_after.get(k, 0.0) - cpu_before.get(k, 0.0)) * 100 / window for k in cpu_after}
    stack_cpu = sum(roles.values())
    client.delete(stack.queue)
    return Cell(
        topology=stack.topology.name,
        spec=stack.topology.spec,
        replicas=stack.topology.replicas,
        workers=stack.topology.workers,
        users=users,
        seconds=window,
        accepted_per_s=len(accepted) / window,
        processed_per_s=processed / window,
        post_p50_ms=percentile([r[1] * 1000 for r in records if r[2]], 0.5),
        post_p99_ms=percentile([r[1] * 1000 for r in records if r[2]], 0.99),
        e2e_p50_ms=percentile(e2e, 0.5),
        e2e_p99_ms=percentile(e2e, 0.99),
        done_share=(len(done_at) / len(accepted)) if accepted else 1.0,
        deepest_queue=deepest,
        backlog_limit=args.max_backlog,
        errors=errors,
        overloaded=sum(n for k, n in errors.items() if k == "429 overloaded"),
        stack_cpu_pct=stack_cpu,
        client_cpu_pct=client_cpu * 100 / (window + args.warmup),
        cpu_by_role_pct={k: round(v, 1) for k, v in sorted(roles.items())},
        stack_cpu_ms_per_msg=(stack_cpu * 10 * window / max(1, processed)) if processed else math.nan,
    )


def wait_done_times(client: redis.Redis, ids: list[str], grace: float) -> dict[str, float]:
    """Message id → the time its worker stored ``done``, for those done within ``grace`` seconds from now."""
    from celery_app import shared

    done: dict[str, float] = {}
    pending = list(ids)
    deadline = time.time() + grace
    while pending:
        still = []
        for chunk in range(0, len(pending), 500):
            batch = pending[chunk : chunk + 500]
            values = client.mget([shared.status_key(i) for i in batch])
            for message_id, raw in zip(batch, values, strict=True):
                value = json.loads(raw) if raw else {}
                if value.get("status") == "done":
                    done[message_id] = float(value["updated"])
                else:
                    still.append(message_id)
        pending = still
        if not pending or time.time() > deadline:
            break
        time.sleep(0.2)
    return done


# --- the client ceiling (headroom) ----------------------------------------------------------------------


def client_ceiling(args: argparse.Namespace, work: Path) -> dict[str, float]:
    """The same clients, no think time, against a bare aiohttp handler: what they can drive at most."""
    port = free_port()
    proc = start("bare", [PYTHON, "-m", "bench.baselines", "bare", str(port)], env={}, workdir=work)
    try:
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, timeout=30)
        seconds = min(5.0, args.seconds)
        load = start_load(f"http://127.0.0.1:{port}", 64, args.clients, seconds, 1.0, 0.0, False)
        records, cpu = load.collect(timeout=seconds + 60)
        ok = [r for r in records if r[2] == 202]
        return {
            "rps": len(ok) / seconds,
            "client_cpu_pct": cpu * 100 / (seconds + 1.0),
            "p50_ms": percentile([r[1] * 1000 for r in ok], 0.5),
        }
    finally:
        proc.stop()


# --- capacity and recommendation ------------------------------------------------------------------------


def capacities(probes: list[Probe], cells: list[Cell], analysis_ms: float) -> dict[str, Any]:
    """What one worker and one service_1 carry here (from the probes); CPU per message (from the cells)."""
    per_worker = statistics.median(p.drain_msg_s / p.workers for p in probes)
    single = [p.accept_msg_s for p in probes if p.replicas == 1]
    per_replica = max(single) if single else max(p.accept_msg_s / p.replicas for p in probes)
    best_front = max(probes, key=lambda p: p.accept_msg_s)
    idle = {p.spec: p.idle_cpu_pct for p in probes}
    # CPU above idle per message done, in the busiest cell that refused nothing: fixed costs (heartbeats,
    # log flushes, batching) amortised as they are under load; a storm of 429s is CPU spent on no message.
    clean = [c for c in cells if c.processed_per_s >= 20 and not c.errors]
    busiest = max(clean, key=lambda c: c.processed_per_s, default=None)
    cpu_per_msg = (
        (busiest.stack_cpu_pct - idle.get(busiest.spec, 0.0)) * 10 / busiest.processed_per_s
        if busiest is not None
        else math.nan
    )
    return {
        "analysis_ms": analysis_ms,
        "per_worker_msg_s": per_worker,
        # Time a worker thread spends per task beyond the analysis itself (broker, status, logs, events).
        "worker_overhead_ms": max(0.0, WORKER_THREADS * 1000 / per_worker - analysis_ms),
        "per_replica_msg_s": per_replica,
        "best_front": {"topology": best_front.topology, "accept_msg_s": best_front.accept_msg_s},
        "stack_cpu_ms_per_msg": cpu_per_msg,
        "cores": CORES,
    }


def recommend(cap: dict[str, float], users: int, analysis_ms: float, think: float) -> dict[str, Any]:
    """SVC1_REPLICAS/WORKERS for ``users`` closed-loop users posting every ``think`` s, at ``analysis_ms``.

    Workers: the arrival rate over one worker's rate at this analysis cost, kept at ≤ 75 % busy so the
    queue stays short. Replicas: the same over one replica's accepted rate; a balancer only when that needs
    more than one.
    """
    rate = users / max(think, 0.05)
    per_worker = WORKER_THREADS * 1000 / (analysis_ms + cap["worker_overhead_ms"])
    # At least two workers: one that dies (or restarts) does not stop the processing.
    workers = max(2, math.ceil(rate / (0.75 * per_worker)))
    replicas = max(1, math.ceil(rate / (0.75 * cap["per_replica_msg_s"])))
    cpu_needed = (
        rate * cap["stack_cpu_ms_per_msg"] / 1000 if not math.isnan(cap["stack_cpu_ms_per_msg"]) else 0
    )
    notes = []
    if replicas > 1 and cap["best_front"]["accept_msg_s"] < 1.2 * cap["per_replica_msg_s"]:
        notes.append(
            f"on this machine more replicas did not accept more ({cap['best_front']['topology']}: "
            f"{cap['best_front']['accept_msg_s']:.0f} msg/s vs one service_1: "
            f"{cap['per_replica_msg_s']:.0f}); "
            "the replicas pay off on more cores or hosts"
        )
    if replicas > cap["cores"]:
        notes.append(f"more replicas than this machine's {cap['cores']} cores buy nothing on one host")
    if cpu_needed > 0.8 * cap["cores"]:
        notes.append(
            f"{rate:.0f} msg/s needs about {cpu_needed:.1f} cores of CPU for the whole stack: "
            f"more than this machine has; spread over more hosts"
        )
    return {
        "users": users,
        "think_s": think,
        "analysis_ms": analysis_ms,
        "arrival_msg_s": rate,
        "per_worker_msg_s": per_worker,
        "SVC1_REPLICAS": replicas,
        "WORKERS": workers,
        "notes": notes,
    }


def print_recommendation(rec: dict[str, Any]) -> None:
    balancer = "nginx in front" if rec["SVC1_REPLICAS"] > 1 else "no balancer needed"
    print(
        f"{rec['users']} users posting every {rec['think_s']:g} s ≈ {rec['arrival_msg_s']:.0f} msg/s; "
        f"one worker drains ≈ {rec['per_worker_msg_s']:.0f} msg/s at {rec['analysis_ms']:g} ms per analysis"
    )
    print(f"  → SVC1_REPLICAS={rec['SVC1_REPLICAS']} WORKERS={rec['WORKERS']} scripts/run   ({balancer})")
    for note in rec["notes"]:
        print(f"  note: {note}")


# --- output ---------------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    if math.isinf(value):
        return "∞"
    if math.isnan(value):
        return "—"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def fmt_queue(c: Cell) -> str:
    """The deepest queue, marked where it reached MAX_BACKLOG (service_1 then answers 429 overloaded)."""
    limit = c.backlog_limit
    return f"{c.deepest_queue} (limit)" if limit and c.deepest_queue >= limit else str(c.deepest_queue)


def fmt_errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{k}: {n}" for k, n in sorted(errors.items())) or "0"


COLUMNS = [
    "topology",
    "users",
    "accepted/s",
    "done/s",
    "POST p50",
    "POST p99",
    "e2e p50",
    "e2e p99",
    "done %",
    "deepest q",
    "errors",
    "stack CPU %",
    "client CPU %",
]


def row(c: Cell) -> list[str]:
    return [
        c.topology,
        str(c.users),
        f"{c.accepted_per_s:.0f}",
        f"{c.processed_per_s:.0f}",
        fmt_ms(c.post_p50_ms),
        fmt_ms(c.post_p99_ms),
        fmt_ms(c.e2e_p50_ms),
        fmt_ms(c.e2e_p99_ms),
        f"{c.done_share * 100:.0f}",
        fmt_queue(c),
        fmt_errors(c.errors),
        f"{c.stack_cpu_pct:.0f}",
        f"{c.client_cpu_pct:.0f}",
    ]


def print_table(cells: list[Cell]) -> None:
    rows = [COLUMNS, *(row(c) for c in cells)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    for n, r in enumerate(rows):
        print(
            "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def markdown(cells: list[Cell], meta: dict[str, Any], probes: list[Probe], cap: dict[str, Any]) -> str:
    lines = [
        f"Measured {meta['date']} on {meta['cores']} cores; {meta['seconds']:g} s per cell after "
        f"{meta['warmup']:g} s warm-up; think {meta['think']:g} s; "
        f"ANALYSIS_EXTRA_COST_MS={meta['analysis_ms']:g}; "
        f"{'users wait for done' if meta['wait'] else 'users do not wait for done'}; "
        f"MAX_BACKLOG={meta['max_backlog']}. Times in ms; ∞ = not done within the cell + "
        f"{meta['grace']:g} s.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(row(c)) + " |" for c in cells]
    lines += [
        "",
        "Capacity probes (per topology, at full tilt): workers draining jobs queued at once; the front "
        "taking POSTs from 64 users with no think time.",
        "",
        "| topology | idle CPU % | workers drain msg/s | per worker | front accepts msg/s | POST p50 ms |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.topology} | {p.idle_cpu_pct:.0f} | {p.drain_msg_s:.0f} | {p.drain_msg_s / p.workers:.1f} | "
        f"{p.accept_msg_s:.0f} | {p.accept_p50_ms:.1f} |"
        for p in probes
    ]
    ceiling = meta["client_ceiling"]
    lines += [
        "",
        "Client ceiling (same clients, no think time, against a bare aiohttp handler): "
        f"{ceiling['rps']:.0f} req/s "
        f"at {ceiling['client_cpu_pct']:.0f} % CPU of one core; the most asked of the stack in a cell was "
        f"{meta['max_offered']:.0f} req/s ({ceiling['rps'] / max(1, meta['max_offered']):.0f}× headroom).",
        "",
        f"Capacity: one worker ≈ {cap['per_worker_msg_s']:.1f} msg/s at {cap['analysis_ms']:g} ms "
        f"({WORKER_THREADS} threads; ≈ {cap['worker_overhead_ms']:.1f} ms per task beyond the analysis); "
        f"one service_1 accepts ≈ {cap['per_replica_msg_s']:.0f} msg/s, the best front "
        f"{cap['best_front']['accept_msg_s']:.0f} msg/s ({cap['best_front']['topology']}); the whole stack "
        f"spends ≈ {cap['stack_cpu_ms_per_msg']:.1f} ms CPU per message above idle (busiest clean cell).",
    ]
    return "\n".join(lines) + "\n"


def ensure_matplotlib() -> None:
    """matplotlib is in the ``bench`` extra; installed here, at the pinned version, when the venv lacks it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        import tomllib

        extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        pin = next(r for r in extra["bench"] if r.startswith("matplotlib"))
        print(f"installing {pin} (the bench extra's) for the plot…", flush=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", pin], check=True)


def plot(cells: list[Cell], path: Path, meta: dict[str, Any]) -> None:
    ensure_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    cap = (meta["seconds"] + meta["grace"]) * 1000
    for spec in dict.fromkeys(c.spec for c in cells):
        mine = [c for c in cells if c.spec == spec]
        users = [c.users for c in mine]
        (line,) = ax1.plot(users, [c.accepted_per_s for c in mine], marker="o", label=mine[0].topology)
        ax1.plot(users, [c.processed_per_s for c in mine], marker="x", ls="--", color=line.get_color())
        p50 = [min(c.e2e_p50_ms, cap) for c in mine]
        p99 = [min(c.e2e_p99_ms, cap) for c in mine]
        ax2.plot(users, p50, marker="o", color=line.get_color(), label=f"{mine[0].topology} p50")
        ax2.plot(users, p99, marker="^", ls=":", color=line.get_color())
    offered = sorted({c.users for c in cells})
    ax1.plot(offered, [u / meta["think"] for u in offered], color="grey", lw=0.8, ls="-.", label="offered")
    ax1.set(xlabel="simultaneous users", ylabel="msg/s", title="accepted (—o) and processed (--x) msg/s")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.set_yscale("log")
    ax2.axhline(cap, color="grey", lw=0.8, ls="-.")
    ax2.text(offered[0], cap * 1.1, "not done in the window", fontsize=7, color="grey")
    ax2.set(
        xlabel="simultaneous users", ylabel="ms (log)", title="end-to-end POST → done: p50 (—o), p99 (:^)"
    )
    ax2.grid(alpha=0.3, which="both")
    fig.suptitle(
        f"bench/scale.py on {meta['cores']} cores: think {meta['think']:g} s, "
        f"analysis {meta['analysis_ms']:g} ms, MAX_BACKLOG={meta['max_backlog']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main -----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    topologies = [Topology.parse(s) for s in args.topologies]
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    cells: list[Cell] = []
    probes: list[Probe] = []
    started = time.monotonic()
    try:
        ceiling = client_ceiling(args, work / "ceiling")
        print(
            f"client ceiling: {ceiling['rps']:.0f} req/s against a bare handler, "
            f"clients at {ceiling['client_cpu_pct']:.0f} % CPU",
            flush=True,
        )
        for topology in topologies:
            stack = Stack(topology, work / topology.spec, args.analysis_ms, args.max_backlog)
            try:
                stack.wait_ready()
                probes.append(probe(stack, args))
                p = probes[-1]
                print(
                    f"{p.topology}: idle {p.idle_cpu_pct:.0f} % CPU; "
                    f"workers drain {p.drain_msg_s:.0f} msg/s; "
                    f"the front accepts {p.accept_msg_s:.0f} msg/s (POST p50 {p.accept_p50_ms:.1f} ms)",
                    flush=True,
                )
                for users in args.users:
                    cell = measure_cell(stack, users, args)
                    cells.append(cell)
                    print("  " + " | ".join(row(cell)), flush=True)
            finally:
                stack.stop()
                shutil.rmtree(work / topology.spec, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": CORES,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "grace": args.grace,
        "think": args.think,
        "analysis_ms": args.analysis_ms,
        "wait": args.wait,
        "clients": args.clients,
        "max_backlog": args.max_backlog if args.max_backlog is not None else "default",
        "client_ceiling": ceiling,
        "max_offered": max(c.accepted_per_s + sum(c.errors.values()) / c.seconds for c in cells),
        "elapsed_s": time.monotonic() - started,
    }
    cap = capacities(probes, cells, args.analysis_ms)
    print()
    print_table(cells)
    print()
    text = markdown(cells, meta, probes, cap)
    print(text[text.index("Client ceiling") :])
    for users in (10, 50, 100, 200):
        print_recommendation(recommend(cap, users, args.analysis_ms, args.think))
    suffix = "-quick" if args.quick else ""
    OUT.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": meta,
        "capacity": cap,
        "probes": [asdict(p) for p in probes],
        "cells": [asdict(c) for c in cells],
    }
    (OUT / f"scale{suffix}.json").write_text(json.dumps(payload, indent=2, default=str))
    (OUT / f"scale{suffix}.md").write_text(text)
    plot(cells, OUT / f"scale{suffix}.png", meta)
    print(f"written: bench/out/scale{suffix}.json, .md, .png ({meta['elapsed_s']:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 topologies × 10/50/100 users, 6 s cells")
    parser.add_argument("--topologies", nargs="+", default=None, help="RxW: replicas x workers")
    parser.add_argument("--users", type=int, nargs="+", default=None)
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per cell")
    parser.add_argument("--warmup", type=float, default=None)
    parser.add_argument("--grace", type=float, default=None, help="seconds after a cell for work to be done")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a user's posts")
    parser.add_argument("--analysis-ms", type=float, default=50.0, help="ANALYSIS_EXTRA_COST_MS")
    parser.add_argument("--wait", action="store_true", help="users poll until done before thinking")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--max-backlog",
        type=int,
        default=500,
        help="MAX_BACKLOG for service_1 (500: reached within a cell by a topology too small for its load)",
    )
    parser.add_argument("--recommend", action="store_true", help="print SVC1_REPLICAS/WORKERS and exit")
    parser.add_argument(
        "--render", type=Path, default=None, help="rewrite the table, capacity and plot of a saved JSON"
    )
    args = parser.parse_args()

    if args.render is not None:
        saved = json.loads(args.render.read_text())
        probes = [Probe(**p) for p in saved["probes"]]
        meta = saved["meta"]
        limit = meta["max_backlog"] if isinstance(meta["max_backlog"], int) else None
        cells = [Cell(**{"backlog_limit": limit, **c}) for c in saved["cells"]]
        cap = capacities(probes, cells, meta["analysis_ms"])
        saved["capacity"] = cap
        args.render.write_text(json.dumps(saved, indent=2, default=str))
        text = markdown(cells, meta, probes, cap)
        args.render.with_suffix(".md").write_text(text)
        plot(cells, args.render.with_suffix(".png"), meta)
        print(text)
        return
    if args.recommend:
        users = args.users or [100]
        source = next((p for p in (OUT / "scale.json", OUT / "scale-quick.json") if p.exists()), None)
        if source is None:
            raise SystemExit("no measurement yet: run python -m bench.scale --quick first")
        saved = json.loads(source.read_text())
        cap = capacities(
            [Probe(**p) for p in saved["probes"]],
            [Cell(**c) for c in saved["cells"]],
            saved["meta"]["analysis_ms"],
        )
        print(f"capacities measured by bench.scale ({saved['meta']['date']}, {source.relative_to(ROOT)}):")
        for n in users:
            print_recommendation(recommend(cap, n, args.analysis_ms, args.think))
        return

    args.topologies = args.topologies or (QUICK_TOPOLOGIES if args.quick else DEFAULT_TOPOLOGIES)
    args.users = args.users or ([10, 50, 100] if args.quick else [10, 50, 100, 200])
    args.seconds = args.seconds or (6.0 if args.quick else 20.0)
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 3.0)
    args.grace = args.grace if args.grace is not None else (3.0 if args.quick else 5.0)
    run(args)


if __name__ == "__main__":
    main()
