"""How fast W worker processes drain N queued messages, against a bare Celery app with the same settings.

    python -m bench.drain [--messages 2000] [--workers 2] [--repeat 3]

``project``: N clean messages are enqueued through service_1's HTTP API (``POST /messages``, async) while
no worker runs, into a staging queue (service_1 started with ``CELERY_QUEUE=<staging>``). Then W workers
start with the command line of the Procfile (``celery -A celery_app worker -n workerK@%h …``), logging and
streaming to the embedded collector as in production; once each has its BRPOP waiting on the real queue,
the staging list is RENAMEd onto it (one atomic step: the clock starts with every message in place and
every worker up), and the clock stops when the queue and Celery's unacked set are both empty. Afterwards
(untimed) every id must read ``done`` on ``GET /messages/{id}``.

``bare``: the same number of tasks of ``bench.bare_celery`` (one task that increments a Redis counter),
published with Celery into the staging queue, drained by W workers started with the same command line
(only ``-A`` differs) and the worker settings read from the project's own app (pool, concurrency,
prefetch, late acks, transport options, queue); the counter must reach N.

Every run starts a fresh private Redis (and collector, service_1, service_2 for ``project``). Prints msgs/s,
the ratio project/bare (median of per-round ratios), and CPU µs per task of the worker processes (threads
and children included), Redis and the collector (the collector's with the settling tail after the drain).
Only public commands, environment variables and HTTP are used. The machine is shared: read medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import secrets
import shlex
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import redis

from bench.procstat import cpu_seconds, machine_busy_seconds
from tests.support.procs import PYTHON, ROOT, Proc, free_port, http_status, port_open, start, start_redis
from tests.support.procs import wait_until as _wait_until

OUT = ROOT / "bench" / "out"
STAGING = "bench-staging"
HUGE = str(10**9)
# What decides how a worker consumes; copied from the project's app onto the bare one.
WORKER_CONF_KEYS = (
    "worker_pool",
    "worker_concurrency",
    "worker_prefetch_multiplier",
    "task_acks_late",
    "task_reject_on_worker_lost",
    "task_default_queue",
    "broker_transport_options",
    "worker_disable_rate_limits",
)
DEFAULT_WORKER = "celery -A celery_app worker -n worker1@%h --without-mingle --without-gossip"
TEXTS = [
    "The delivery arrived on time, thanks a lot!",
    "Could you tell me when the next release is planned?",
    "Der Termin am Montag passt mir gut, danke.",
    "Le colis est arrivé en bon état, merci beaucoup.",
    "The meeting notes are in the shared folder, see you tomorrow.",
]


def wait_until(predicate: Any, timeout: float, what: str) -> Any:
    try:
        return _wait_until(predicate, timeout)
    except TimeoutError as exc:
        raise SystemExit(f"bench: {what} within {timeout}s") from exc


def procfile_worker() -> list[str]:
    """The first ``workerN:`` command of the Procfile, as the run command starts the workers."""
    with contextlib.suppress(FileNotFoundError):
        for line in (ROOT / "Procfile").read_text().splitlines():
            m = re.match(r"\s*worker\d+\s*:\s*(.+)", line)
            if m:
                return shlex.split(m.group(1))
    return shlex.split(DEFAULT_WORKER)


def worker_command(template: list[str], app: str, name: str) -> list[str]:
    """``template`` with its app (-A/--app) and node name (-n/--hostname) replaced."""
    out: list[str] = []
    i = 0
    while i < len(template):
        a = template[i]
        for flags, value in ((("-A", "--app"), app), (("-n", "--hostname"), f"{name}@%h")):
            if a in flags and i + 1 < len(template):
                out += [a, value]
                i += 2
                break
            if a.startswith(flags[1] + "="):
                out.append(f"{flags[1]}={value}")
                i += 1
                break
        else:
            out.append(a)
            i += 1
    return out


def project_worker_conf(env: dict[str, str], work: Path) -> dict[str, Any]:
    """The worker settings of the project's app, read the way the celery command loads it (-A celery_app)."""
    code = (
        "import json, sys\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('celery_app')\n"
        f"keys = {WORKER_CONF_KEYS!r}\n"
        "sys.stdout.write('CONF ' + json.dumps({k: app.conf[k] for k in keys}, default=str) + '\\n')\n"
    )
    proc = start("read-conf", [PYTHON, "-c", code], env=env, workdir=work)
    proc.popen.wait(60)
    line = next((ln for ln in proc.text().splitlines() if ln.startswith("CONF ")), None)
    if line is None:
        raise SystemExit(f"bench: could not read the project's Celery settings:\n{proc.text()[-3000:]}")
    return json.loads(line.removeprefix("CONF "))


async def enqueue_http(url: str, n: int, connections: int = 50) -> list[str]:
    ids: list[str] = []
    failures: list[str] = []
    sem = asyncio.Semaphore(connections)
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            body = {"user": f"drain-{i % 64}", "text": TEXTS[i % len(TEXTS)], "mode": "async"}
            # A busy shared machine can make a publish time out (503) or trip a limit (429): the enqueue
            # is not what is measured, so it tries again, as a client told Retry-After would.
            for _ in range(20):
                async with sem, session.post(f"{url}/messages", json=body) as resp:
                    data = await resp.json(content_type=None)
                    if resp.status == 202:
                        ids.append(data["id"])
                        return
                    if resp.status not in (429, 503):
                        break
                await asyncio.sleep(min(2.0, float(resp.headers.get("Retry-After") or 0.5)))
            failures.append(f"{resp.status} {data}")

        await asyncio.gather(*(one(i) for i in range(n)))
    if failures:
        raise SystemExit(f"bench: {len(failures)} enqueues failed, first: {failures[0]}")
    return ids


async def all_done(url: str, ids: list[str], connections: int = 50) -> int:
    """How many of ``ids`` read ``done`` on GET /messages/{id}."""
    sem = asyncio.Semaphore(connections)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:

        async def one(message_id: str) -> bool:
            async with sem, session.get(f"{url}/messages/{message_id}") as resp:
                return resp.status == 200 and (await resp.json()).get("status") == "done"

        return sum(await asyncio.gather(*(one(i) for i in ids)))


def count_lines(root: Path, pattern: str) -> int:
    total = 0
    for path in root.glob(pattern):
        with contextlib.suppress(FileNotFoundError), path.open("rb") as f:
            while chunk := f.read(1 << 20):
                total += chunk.count(b"\n")
    return total


@dataclass
class Run:
    kind: str
    round: int
    messages: int
    seconds: float
    rate: float
    # CPU µs per task: all worker processes together, Redis, the collector (project only).
    cpu_us_per_task: dict[str, float]
    core_share: dict[str, float]
    log_records_per_task: float | None


def drain(kind: str, rnd: int, args: argparse.Namespace, work: Path) -> Run:
    started: list[Proc] = []
    r: redis.Redis | None = None
    try:
        redis_port = free_port()
        redis_proc = start_redis(work / "redis", redis_port)
        started.append(redis_proc)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        r = redis.Redis.from_url(redis_url)
        log_dir = work / "logs"
        collector_port = free_port()
        env = {
            "REDIS_URL": redis_url,
            "SERVICE_TOKEN": secrets.token_urlsafe(24),
            "LOG_DIR": str(log_dir),
            "CENTRAL_LOG_DIR": str(log_dir / "central"),
            "REPORT_DIR": str(work / "reports"),
            "LOG_LEVEL": "INFO",
            "FLUENTD_ENABLED": "1",
            "FLUENTD_HOST": "127.0.0.1",
            "FLUENTD_PORT": str(collector_port),
            "MAX_BACKLOG": HUGE,
            "USER_RATE": HUGE,
            "USER_BURST": HUGE,
        }
        conf = project_worker_conf(env, work)
        queue = str(conf.get("task_default_queue") or "ingest")
        unacked_key = (conf.get("broker_transport_options") or {}).get("unacked_key", "unacked")
        ids: list[str] = []
        svc1_url = ""
        cpu_roles: dict[str, Proc] = {"redis": redis_proc}
        if kind == "project":
            collector = start("collector", [PYTHON, "-m", "logpipe.collector"], env=env, workdir=work)
            started.append(collector)
            cpu_roles["collector"] = collector
            wait_until(lambda: port_open(collector_port), 30, "the collector did not listen")
            svc2_port, svc1_port = free_port(), free_port()
            svc_env = {
                **env,
                "SVC2_PORT": str(svc2_port),
                "SVC2_URL": f"http://127.0.0.1:{svc2_port}",
                "SVC1_PORT": str(svc1_port),
                "CELERY_QUEUE": STAGING,
            }
            started.append(start("service_2", [PYTHON, "-m", "svc2"], env=svc_env, workdir=work))
            started.append(start("service_1", [PYTHON, "-m", "svc1"], env=svc_env, workdir=work))
            svc1_url = f"http://127.0.0.1:{svc1_port}"
            wait_until(lambda: http_status(f"{svc1_url}/readyz") == 200, 60, "service_1 was not ready")
            ids = asyncio.run(enqueue_http(svc1_url, args.messages))
            app_name = "celery_app"
            worker_env = env
        else:
            from celery import Celery

            publisher = Celery("bench-bare-publisher", broker=redis_url)
            publisher.conf.update(task_serializer="json", task_ignore_result=True)
            with publisher.producer_or_acquire() as producer:
                for _ in range(args.messages):
                    publisher.send_task("bench.count", queue=STAGING, producer=producer)
            publisher.close()
            app_name = "bench.bare_celery"
            worker_env = {**env, "BENCH_CELERY_CONF": json.dumps(conf)}
        queued = r.llen(STAGING)
        if queued != args.messages:
            raise SystemExit(f"bench: {queued} messages staged, expected {args.messages}")

        template = procfile_worker()
        # The project's process name (and log file, logs/workerK.txt) comes from the node name.
        prefix = "worker" if kind == "project" else "bare"
        workers = [
            start(
                f"{kind}-worker{k}",
                worker_command(template, app_name, f"{prefix}{k}"),
                env=worker_env,
                workdir=work,
            )
            for k in range(1, args.workers + 1)
        ]
        started += workers

        def consumers() -> bool:
            for w in workers:
                if not w.alive():
                    raise SystemExit(f"bench: a worker died:\n{w.text()[-3000:]}")
            return sum(1 for c in r.client_list() if c.get("cmd") == "brpop") >= args.workers

        wait_until(consumers, 90, "the workers were not all waiting on the queue")
        records0 = count_lines(log_dir, "worker*.txt*")

        def cpu() -> dict[str, float]:
            out = {"workers": sum(cpu_seconds(w.pid) for w in workers)}
            out.update({role: cpu_seconds(p.pid) for role, p in cpu_roles.items()})
            return out

        cpu0 = cpu()
        busy0 = machine_busy_seconds()
        t0 = time.perf_counter()
        r.rename(STAGING, queue)
        empty_since: float | None = None
        while True:
            now = time.perf_counter()
            pipe = r.pipeline(transaction=False)
            pipe.llen(queue)
            pipe.hlen(unacked_key)
            pending = sum(pipe.execute())
            if pending == 0:
                # Twice in a row: a message between BRPOP and its unacked entry is in neither for a moment.
                if empty_since is not None:
                    break
                empty_since = now
            else:
                empty_since = None
            if now - t0 > args.timeout:
                raise SystemExit(f"bench: {kind} did not drain within {args.timeout}s ({pending} left)")
            time.sleep(0.005)
        t1 = empty_since
        cpu1 = cpu()
        busy1 = machine_busy_seconds()
        # Untimed: every message really done.
        if kind == "project":
            done = wait_until(
                lambda: (n := asyncio.run(all_done(svc1_url, ids))) == len(ids) and n,
                60,
                "not every message read done",
            )
        else:
            done = wait_until(
                lambda: int(r.get("bench:count") or 0) == args.messages and args.messages,
                30,
                "the bare counter did not reach N",
            )
        if done != args.messages:
            raise SystemExit(f"bench: {done} of {args.messages} done")
        # The collector's share includes shipping that lands after the drain.
        if kind == "project":
            last, stable = -1, time.monotonic()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                n = count_lines(log_dir / "central", "**/*.log")
                if n != last:
                    last, stable = n, time.monotonic()
                elif time.monotonic() - stable > 1.0:
                    break
                time.sleep(0.25)
        cpu2 = cpu()
        records = count_lines(log_dir, "worker*.txt*") - records0
    finally:
        if r is not None:
            r.close()
        for proc in reversed(started):
            proc.stop()
    seconds = t1 - t0
    per_task = {role: (cpu1[role] - cpu0[role]) * 1e6 / args.messages for role in cpu0}
    if "collector" in cpu0:
        per_task["collector"] = (cpu2["collector"] - cpu0["collector"]) * 1e6 / args.messages
    share = {role: (cpu1[role] - cpu0[role]) / seconds for role in cpu0}
    # Everything else the machine ran meanwhile (the bench's own polling, other agents): noise.
    share["others"] = max(0.0, (busy1 - busy0) / seconds - sum(share.values()))
    return Run(
        kind=kind,
        round=rnd,
        messages=args.messages,
        seconds=seconds,
        rate=args.messages / seconds,
        cpu_us_per_task=per_task,
        core_share=share,
        log_records_per_task=records / args.messages if kind == "project" else None,
    )


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: list[Run], args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    summary: dict[str, Any] = {}
    for kind in ("project", "bare"):
        rs = [r for r in runs if r.kind == kind]
        if not rs:
            continue
        roles = list(rs[0].cpu_us_per_task)
        summary[kind] = {
            "runs": len(rs),
            "rate": med([r.rate for r in rs]),
            "best_rate": max(r.rate for r in rs),
            "seconds": med([r.seconds for r in rs]),
            "cpu_us_per_task": {role: med([r.cpu_us_per_task[role] for r in rs]) for role in roles},
            "cpu_us_per_task_total": med([sum(r.cpu_us_per_task.values()) for r in rs]),
            "core_share": {role: med([r.core_share[role] for r in rs]) for role in rs[0].core_share},
            "log_records_per_task": med(
                [r.log_records_per_task for r in rs if r.log_records_per_task is not None]
            ),
        }
    per_round, cost_per_round = [], []
    for rnd in range(args.repeat):
        p = [r for r in runs if r.kind == "project" and r.round == rnd]
        b = [r for r in runs if r.kind == "bare" and r.round == rnd]
        if p and b:
            per_round.append(p[0].rate / b[0].rate)
            cost_per_round.append(sum(b[0].cpu_us_per_task.values()) / sum(p[0].cpu_us_per_task.values()))
    ratio = med(per_round) if per_round else None
    cost_ratio = med(cost_per_round) if cost_per_round else None

    def us(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}"

    lines = [
        f"# bench.drain — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{args.messages} queued messages, {args.workers} worker processes (Procfile command), "
        f"{args.repeat} interleaved round(s); medians; CPU in µs per task",
        "",
        "| app | msgs/s | seconds | workers µs/task | redis µs/task | collector µs/task | total µs/task "
        "| workers %core (sum) | others %core | log records/task | best msgs/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, s in summary.items():
        c = s["cpu_us_per_task"]
        rec = s["log_records_per_task"]
        lines.append(
            f"| {kind} | {s['rate']:.0f} | {s['seconds']:.2f} | {us(c.get('workers'))} "
            f"| {us(c.get('redis'))} "
            f"| {us(c.get('collector'))} | {s['cpu_us_per_task_total']:.0f} "
            f"| {100 * s['core_share']['workers']:.0f}% | {100 * s['core_share']['others']:.0f}% "
            f"| {'—' if rec != rec else f'{rec:.2f}'} | {s['best_rate']:.0f} |"
        )
    if ratio is not None:
        lines += ["", f"- project / bare drain rate (median of per-round ratios): **{ratio:.2f}**"]
        lines.append(
            f"- the same by CPU per task (bare total µs/task ÷ project's, median of per-round ratios): "
            f"**{cost_ratio:.2f}** — steadier than the rate while others load the machine (others %core)"
        )
    if runs:
        lines.append(f"- worker settings copied onto the bare app: {json.dumps(args.conf)}")
    text = "\n".join(lines) + "\n"
    data = {
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "summary": summary,
        "ratio_project_over_bare": ratio,
        "cost_ratio_bare_over_project": cost_ratio,
        "runs": [asdict(r) for r in runs],
    }
    return data, text


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=2000, help="queued messages per run (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--kinds", nargs="+", choices=("project", "bare"), default=["project", "bare"])
    parser.add_argument("--timeout", type=float, default=300.0, help="give up on a drain after this long")
    parser.add_argument("--out", type=Path, default=OUT / "drain.json")
    args = parser.parse_args()
    args.conf = {}

    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    runs: list[Run] = []
    try:
        args.conf = project_worker_conf({"LOG_DIR": str(work / "conf-logs"), "FLUENTD_ENABLED": "0"}, work)
        for rnd in range(args.repeat):
            for kind in args.kinds:
                run = drain(kind, rnd, args, work / f"{kind}-{rnd}")
                runs.append(run)
                print(
                    f"round {rnd + 1}/{args.repeat} {kind:<8} {run.rate:>7.0f} msgs/s  "
                    f"{run.seconds:6.2f} s  "
                    f"workers {run.cpu_us_per_task['workers']:.0f} µs/task "
                    f"({run.core_share['workers']:.0%} core), others {run.core_share['others']:.0%}",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data, text = report(runs, args)
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2))
    args.out.with_suffix(".md").write_text(text)
    print(f"written: {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
