"""What Celery task events (``-E``, which Flower needs to see tasks) cost the workers' drain rate.

    python -m bench.drain_events [--messages 2000] [--workers 2] [--repeats 3] [--cost-ms 0]

A private Redis, Flower watching it, and ``--workers`` real workers started exactly as scripts/run starts
them, once without and once with ``-E``, alternately ``--repeats`` times. Each round: the workers are up and
idle, ``--messages`` jobs (published with Celery's ``send_task`` onto a staging list beforehand) are
RENAMEd onto the queue in one step, and the clock runs until every status is ``done``. Printed: messages/s
drained (median of the rounds), the workers' and Flower's CPU per message, and the ratio events-on /
events-off. With ``--cost-ms 0`` (the default) the per-task overhead is all there is, so this is the worst
case; any real analysis cost dilutes it.

Flower runs with ``--enable_events=False`` here: by default it turns events on in every worker it sees
(every 5 s), which would make the "off" rounds "on" after a while. In the stack, events are always on.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.procstat import cpu_seconds
from celery_app import shared
from celery_app.config import create_celery
from celery_app.settings import WorkerSettings
from celery_app.shared import TASK_ANALYZE
from harness.procs import ROOT, VENV_BIN, Proc, free_port, http_status, private_redis, start, wait_until

TEXTS = [
    "The delivery arrived on time, thanks a lot!",
    "Could you tell me when the next release is planned?",
    "Der Termin am Montag passt mir gut, danke.",
]


@dataclass
class Round:
    events: bool
    messages: int
    seconds: float
    worker_cpu: float
    flower_cpu: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def stage(client: redis.Redis, env: dict[str, str], n: int) -> tuple[str, list[str]]:
    """N jobs published with Celery's own ``send_task`` onto a staging list (with their ``queued`` status),
    not yet where the workers look: ``release`` puts them all there in one step, when the clock starts."""
    staging = f"{env['CELERY_QUEUE']}-staging"
    celery = create_celery(
        WorkerSettings(
            redis_url=env["REDIS_URL"],
            broker_url=env["REDIS_URL"],
            queue=env["CELERY_QUEUE"],
            result_backend=env["REDIS_URL"],
            visibility_timeout=300,
            restore_interval=10,
            concurrency=2,
            extra_cost_ms=0,
            result_ttl_seconds=3600,
        )
    )
    ids = [uuid.uuid4().hex for _ in range(n)]
    pipe = client.pipeline(transaction=False)
    for message_id in ids:
        pipe.set(shared.status_key(message_id), shared.encode_status("queued"), ex=3600)
    pipe.execute()
    with celery.producer_or_acquire() as producer:
        for i, message_id in enumerate(ids):
            text = TEXTS[i % len(TEXTS)]
            celery.send_task(
                TASK_ANALYZE, args=[message_id, text], task_id=message_id, queue=staging, producer=producer
            )
    celery.close()
    return staging, ids


def release(client: redis.Redis, env: dict[str, str], staging: str) -> None:
    client.rename(staging, env["CELERY_QUEUE"])


def wait_done(client: redis.Redis, ids: list[str], timeout: float) -> None:
    pending = list(ids)
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} of {len(ids)} messages not done")
        values = client.mget([shared.status_key(i) for i in pending])
        pending = [
            i for i, v in zip(pending, values, strict=True) if json.loads(v or "{}").get("status") != "done"
        ]
        if pending:
            time.sleep(0.02)


def start_workers(env: dict[str, str], work: Path, count: int, events: bool) -> list[Proc]:
    procs = []
    for k in range(1, count + 1):
        args = [
            str(VENV_BIN / "celery"),
            "-A",
            "celery_app",
            "worker",
            "-n",
            f"worker{k}@%h",
            "--without-mingle",
            "--without-gossip",
            *(["-E"] if events else []),
        ]
        procs.append(start(f"worker{k}", args, env=env, workdir=work / "out"))
    for k in range(1, count + 1):
        log = Path(env["LOG_DIR"]) / f"worker{k}.txt"
        wait_until(lambda log=log: log.exists() and "ready." in log.read_text(), timeout=60)
    return procs


def one_round(env: dict[str, str], work: Path, args: argparse.Namespace, events: bool, flower: Proc) -> Round:
    client = redis.Redis.from_url(env["REDIS_URL"])
    for log in Path(env["LOG_DIR"]).glob("worker*.txt"):
        log.unlink()
    workers = start_workers(env, work, args.workers, events)
    try:
        time.sleep(1.0)  # idle: the first heartbeats and Flower's first look are not in the window
        cpu_before = sum(cpu_seconds(w.pid) for w in workers)
        flower_before = cpu_seconds(flower.pid)
        staging, ids = stage(client, env, args.messages)
        started = time.perf_counter()
        release(client, env, staging)
        wait_done(client, ids, timeout=600)
        seconds = time.perf_counter() - started
        worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
        time.sleep(0.5)  # Flower's share of the last events
        flower_cpu = cpu_seconds(flower.pid) - flower_before
    finally:
        for w in workers:
            w.stop()
    return Round(events, args.messages, seconds, worker_cpu, flower_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cost-ms", type=float, default=0.0, help="ANALYSIS_EXTRA_COST_MS of the workers")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "drain_events.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    rounds: list[Round] = []
    with private_redis(work / "redis") as (_, redis_url):
        env = {
            "REDIS_URL": redis_url,
            "LOG_DIR": str(work / "logs"),
            "FLUENTD_ENABLED": "0",
            "CELERY_QUEUE": f"drain-{secrets.token_hex(4)}",
            "ANALYSIS_EXTRA_COST_MS": str(args.cost_ms),
        }
        flower_port = free_port()
        flower = start(
            "flower",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "celery_app",
                "flower",
                "--address=127.0.0.1",
                "--enable_events=False",
                f"--port={flower_port}",
            ],
            env=env,
            workdir=work / "out",
        )
        try:
            wait_until(lambda: http_status(f"http://127.0.0.1:{flower_port}/healthcheck") == 200, timeout=60)
            for r in range(args.repeats):
                # Alternate which goes first, so a trend in the machine's load hits both alike.
                for events in (False, True) if r % 2 == 0 else (True, False):
                    rounds.append(one_round(env, work, args, events, flower))
                    last = rounds[-1]
                    print(
                        f"  round {r + 1} events={'on ' if events else 'off'} {last.rate:7.0f} msg/s "
                        f"({last.seconds:.2f} s)",
                        flush=True,
                    )
        finally:
            flower.stop()
    report(rounds, args)


def report(rounds: list[Round], args: argparse.Namespace) -> None:
    def med(events: bool, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in rounds if r.events == events)

    rows = {}
    print(f"\n{args.messages} messages, {args.workers} workers, ANALYSIS_EXTRA_COST_MS={args.cost_ms:g}")
    header = (
        f"{'task events':<12} {'msg/s':>8} {'drain s':>8} {'worker CPU ms/msg':>18} {'Flower CPU ms/msg':>18}"
    )
    print(header)
    print("-" * len(header))
    for events in (False, True):
        rate = statistics.median(r.rate for r in rounds if r.events == events)
        rows["on" if events else "off"] = row = {
            "msg_per_s": rate,
            "drain_seconds": med(events, "seconds"),
            "worker_cpu_ms_per_msg": med(events, "worker_cpu") * 1000 / args.messages,
            "flower_cpu_ms_per_msg": med(events, "flower_cpu") * 1000 / args.messages,
            "rounds": [r.rate for r in rounds if r.events == events],
        }
        print(
            f"{'on (-E)' if events else 'off':<12} {rate:>8.0f} {row['drain_seconds']:>8.2f} "
            f"{row['worker_cpu_ms_per_msg']:>18.2f} {row['flower_cpu_ms_per_msg']:>18.2f}"
        )
    ratio = rows["on"]["msg_per_s"] / rows["off"]["msg_per_s"]
    print(f"drain rate with events / without: {ratio:.2f} (medians of {args.repeats} rounds each)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "messages": args.messages,
        "workers": args.workers,
        "cost_ms": args.cost_ms,
        "repeats": args.repeats,
        "off": rows["off"],
        "on": rows["on"],
        "ratio_on_off": ratio,
    }
    args.out.write_text(json.dumps(payload, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
